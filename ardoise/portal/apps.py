from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ardoise.portal"
    label = "portal"
