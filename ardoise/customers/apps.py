from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "ardoise.customers"
    label = "customers"
