from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "waterdesk.collection"
    label = "collection"
    verbose_name = _("欠费催收")

    def ready(self) -> None:
        # Registers the nightly task that beat sends by name.
        from waterdesk.collection import tasks  # noqa: F401
        from waterdesk.core.roles import Role, role_grant

        viewing = [
            f"collection.view_{model}"
            for model in (
                "amountband",
                "ageband",
                "collectionstrategy",
                "classificationrule",
                "collectionexemption",
                "classificationrun",
                "accountarrears",
            )
        ]
        reading = ["customers.view_customer", "customers.view_account", "billing.view_ledgerentry"]
        role_grant(Role.COLLECTOR, *viewing, *reading)
        # The supervisor keeps the matrix and the exemptions.
        role_grant(
            Role.COLLECTION_SUPERVISOR,
            *viewing,
            *reading,
            *[
                f"collection.{action}_{model}"
                for model in ("amountband", "ageband", "collectionstrategy", "classificationrule")
                for action in ("add", "change", "delete")
            ],
            "collection.add_collectionexemption",
            "collection.change_collectionexemption",
        )
        role_grant(Role.ADMINISTRATOR, *viewing)
