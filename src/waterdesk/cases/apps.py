from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "waterdesk.cases"
    label = "cases"
    verbose_name = "工单"
