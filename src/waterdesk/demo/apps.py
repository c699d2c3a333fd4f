from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo city (``manage.py demo_seed``): the top layer, it may import any app."""

    name = "waterdesk.demo"
    label = "demo"
    verbose_name = _("演示数据")
