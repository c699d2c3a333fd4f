from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "waterdesk.api"
    label = "api"
    verbose_name = "接口"
