from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ardoise.audit"
    label = "audit"
