from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "waterdesk.applications"
    label = "applications"
    verbose_name = _("业务申请")

    def ready(self) -> None:
        from waterdesk.applications import kinds  # noqa: F401 (registers the three kinds)
        from waterdesk.core.roles import Role, role_grant

        # Who takes each move of this app's kinds (the workflows name the permissions).
        role_grant(
            Role.INTAKE_CLERK,
            "applications.intake_newconnection",
            "applications.assess_fee_newconnection",
            "applications.record_payment_newconnection",
            "applications.open_account_newconnection",
            "applications.intake_ownershiptransfer",
            "applications.verify_ownershiptransfer",
            "applications.complete_ownershiptransfer",
            "applications.intake_usagechange",
            "applications.verify_usagechange",
            "applications.complete_usagechange",
        )
        role_grant(
            Role.SURVEYOR,
            "applications.survey_newconnection",
            "applications.install_meter_newconnection",
            "applications.survey_usagechange",
        )
        role_grant(
            Role.REVIEWER,
            "applications.review_newconnection",
        )
        role_grant(
            Role.APPROVER,
            "applications.approve_newconnection",
            "applications.collective_review_newconnection",
            "applications.approve_usagechange",
        )
