from ardoise.payments.models import BuiltInMode, PaymentMode


def install_built_in_modes(*, shop_id: int) -> list[PaymentMode]:
    """Give a new shop the built-in modes, all accepted. Idempotent."""
    existing = set(PaymentMode.objects.filter(shop_id=shop_id).values_list("code", flat=True))
    modes = [
        PaymentMode(shop_id=shop_id, code=code, is_built_in=True, position=position)
        for position, code in enumerate(BuiltInMode.values)
        if code not in existing
    ]
    return PaymentMode.objects.bulk_create(modes)
