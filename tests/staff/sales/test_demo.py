import pytest

from ardoise.invoicing.models import Invoice, Order, OrderStatus
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Account, Allocation, Credit, CreditKind
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
    assert {"cash", "cheque", "card", "transfer"} <= modes
    assert (
        Order.objects.filter(shop_id=shop_id, status=OrderStatus.OPEN).count() == 2
    )  # customers 0 and 5
    assert Order.objects.filter(shop_id=shop_id, status=OrderStatus.CANCELLED).exists()


def test_the_demo_applies_payments_automatically_and_leaves_no_deposit_beside_a_debt() -> None:
    result = build_demo(customers=11, months=3)

    assert result.shop.auto_allocate is True
    top_ups = Credit.objects.filter(shop_id=result.shop.pk, kind=CreditKind.TOP_UP)
    assert Allocation.objects.filter(credit__in=top_ups).exists()  # deposits paid sales
    assert not Account.objects.filter(shop_id=result.shop.pk, debt__gt=0, deposit__gt=0).exists()
