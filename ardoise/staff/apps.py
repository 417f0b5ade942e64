from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "ardoise.staff"
    label = "staff"
