from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "waterdesk.surveys"
    label = "surveys"
    verbose_name = _("满意度调查")

    def ready(self) -> None:
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.surveys import kinds  # noqa: F401  registers the kind, panel, listener
        from waterdesk.surveys.workflow import RESOLVE_PERMISSION, RESULTS_PERMISSION

        # Supervisors read the results and, with the complaint handlers, follow up the low
        # scores; the policies are the administrators' and the supervisors'.
        policies = [f"surveys.{action}_surveypolicy" for action in ("view", "add", "change")]
        role_grant(Role.SUPERVISOR, RESOLVE_PERMISSION, RESULTS_PERMISSION, *policies)
        role_grant(Role.COMPLAINT_HANDLER, RESOLVE_PERMISSION)
        role_grant(Role.ADMINISTRATOR, *policies, "surveys.view_surveycampaign")
