from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "waterdesk.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from waterdesk.core.roles import sync_roles_after_migrate

        # Groups are configuration that must exist on every install; permissions only
        # exist after all apps migrated, hence post_migrate rather than a data migration.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="waterdesk-sync-roles")
