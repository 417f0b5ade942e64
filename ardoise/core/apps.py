from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ardoise.core"
    label = "core"

    def ready(self) -> None:
        from ardoise.core import append_only  # noqa: F401  (registers the SQLite function)
