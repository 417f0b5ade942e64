from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "ardoise.invoicing"
    label = "invoicing"
