from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ardoise.core"
    label = "core"

    def ready(self) -> None:
        from django.urls import register_converter

        from ardoise.core import append_only  # noqa: F401  (registers the SQLite function)
        from ardoise.core.ids import IdConverter

        # Before any URLconf is read: `<id:...>` in the URL modules needs it.
        register_converter(IdConverter, "id")
