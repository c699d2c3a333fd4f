from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "waterdesk.collection"
    label = "collection"
    verbose_name = _("欠费催收")

    def ready(self) -> None:
        # Registers the nightly task that beat sends by name, the kind and its purposes.
        from waterdesk.collection import kinds, tasks  # noqa: F401
        from waterdesk.collection.workflow import (
            APPROVE_PERMISSION,
            VIEW_PERMISSION,
            WORK_PERMISSION,
        )
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
        reading = [
            "customers.view_customer",
            "customers.view_premise",
            "customers.view_account",
            "billing.view_ledgerentry",
            "billing.view_bill",
            VIEW_PERMISSION,
            "fieldwork.view_workorder",
        ]
        role_grant(Role.COLLECTOR, *viewing, *reading, WORK_PERMISSION)
        # The supervisor keeps the matrix and the exemptions.
        # The supervisor approves disconnections and sends the crews that carry them out.
        role_grant(
            Role.COLLECTION_SUPERVISOR,
            *viewing,
            *reading,
            WORK_PERMISSION,
            APPROVE_PERMISSION,
            "fieldwork.dispatch_workorder",
            "collection.view_collectionpolicy",
            "collection.change_collectionpolicy",
            "collection.view_ladderstep",
            "collection.add_ladderstep",
            "collection.change_ladderstep",
            "collection.delete_ladderstep",
            *[
                f"collection.{action}_{model}"
                for model in ("amountband", "ageband", "collectionstrategy", "classificationrule")
                for action in ("add", "change", "delete")
            ],
            "collection.add_collectionexemption",
            "collection.change_collectionexemption",
        )
        role_grant(Role.ADMINISTRATOR, *viewing)
