from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InquiriesConfig(AppConfig):
    name = "waterdesk.inquiries"
    label = "inquiries"
    verbose_name = _("业务咨询")
