from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


def _install_modes(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        from ardoise.payments.services import install_built_in_modes

        install_built_in_modes(shop_id=instance.pk)


class PaymentsConfig(AppConfig):
    name = "ardoise.payments"
    label = "payments"

    def ready(self) -> None:
        # Every new shop gets the built-in payment modes (shops cannot import payments).
        post_save.connect(_install_modes, sender="shops.Shop", dispatch_uid="payments.install")
