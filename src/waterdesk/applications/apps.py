from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "waterdesk.applications"
    label = "applications"
    verbose_name = "业务申请"
