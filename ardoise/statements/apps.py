from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "ardoise.statements"
    label = "statements"
