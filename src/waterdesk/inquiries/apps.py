from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InquiriesConfig(AppConfig):
    name = "waterdesk.inquiries"
    label = "inquiries"
    verbose_name = _("业务咨询")

    def ready(self) -> None:
        from waterdesk.core.roles import Role, role_grant
        from waterdesk.inquiries import kinds  # noqa: F401  registers the inquiry kind

        # Intake clerks register inquiries and answer what they can at once; the billing
        # office and the surveyors answer the billing and connection questions routed to
        # their departments. Supervisors see every case already.
        role_grant(Role.INTAKE_CLERK, "inquiries.intake_inquiry", "inquiries.answer_inquiry")
        role_grant(Role.BILLING_CLERK, "inquiries.answer_inquiry")
        role_grant(Role.SURVEYOR, "inquiries.answer_inquiry")
        # The categories (answering department, reply limit) are the administrators'.
        role_grant(
            Role.ADMINISTRATOR,
            "inquiries.view_inquirycategory",
            "inquiries.add_inquirycategory",
            "inquiries.change_inquirycategory",
        )
