from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "waterdesk.notify"
    label = "notify"
    verbose_name = "通知"
