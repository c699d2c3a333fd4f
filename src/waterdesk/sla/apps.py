from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "waterdesk.sla"
    label = "sla"
    verbose_name = "SLA时限"
