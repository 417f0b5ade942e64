from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "ardoise.exports"
    label = "exports"
