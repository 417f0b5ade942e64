from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "ardoise.shops"
    label = "shops"
