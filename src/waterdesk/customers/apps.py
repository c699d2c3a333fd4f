from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "waterdesk.customers"
    label = "customers"
    verbose_name = _("客户")
