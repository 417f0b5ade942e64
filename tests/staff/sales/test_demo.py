import pytest

from ardoise.invoicing.models import Invoice, Order, OrderStatus
from ardoise.ledger.checks import check_ledger
from ardoise.payments.models import Settlement
from ardoise.staff.demo import build_demo

pytestmark = pytest.mark.django_db


def test_the_demo_sells_through_invoicing_and_passes_the_ledger_check() -> None:
    result = build_demo(customers=11, months=3)
    shop_id = result.shop.pk
    report = check_ledger()
    assert report.problems == []
    by_year: dict[int, list[int]] = {}
    for year, sequence in (
        Invoice.objects.filter(shop_id=shop_id)
        .order_by("issued_on", "sequence")
        .values_list("year", "sequence")
    ):
        by_year.setdefault(year, []).append(sequence)
    # Gap-free and in date order, per year.
    assert all(numbers == list(range(1, len(numbers) + 1)) for numbers in by_year.values())
    modes = set(Settlement.objects.filter(shop_id=shop_id).values_list("mode", flat=True))
    assert {"cash", "cheque", "card", "transfer", "account"} <= modes
    assert (
        Order.objects.filter(shop_id=shop_id, status=OrderStatus.OPEN).count() == 2
    )  # customers 0 and 5
    assert Order.objects.filter(shop_id=shop_id, status=OrderStatus.CANCELLED).exists()
