from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "waterdesk.customers"
    label = "customers"
    verbose_name = "客户"
