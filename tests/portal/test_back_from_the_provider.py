"""The customer back from SumUp's page after paying an order or a top-up: the portal asks the
provider at once (not "pending" until the notification comes), as the statement page does,
through the one path that records a payment once."""

import pytest
from django.urls import reverse

from ardoise.invoicing.models import OrderPaymentState
from ardoise.ledger.models import Credit
from ardoise.payments.models import Checkout, CheckoutStatus
from ardoise.payments.top_ups import start_top_up
from tests.payments.orders_support import account_with_balance, order, product
from tests.payments.provider_support import connect, standin_server
from tests.portal.support import portal_client, portal_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    with standin_server() as server:
        yield server


def test_back_from_sumup_the_order_reads_paid(standin) -> None:  # type: ignore[no-untyped-def]
    shop = portal_shop(ordering_open=True)
    connect(shop, "sumup", standin)
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])  # 20 € less the 5 € balance: 15 € to pay
    assert placed.checkout is not None
    assert placed.checkout.amount == 15_00
    standin.sumup_pay(placed.checkout.provider_checkout_id)

    page = portal_client(account.customer).get(
        reverse("portal:order_detail", args=[shop.slug, placed.order.pk])
    )

    assert page.status_code == 200
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert Checkout.objects.get(pk=placed.checkout.pk).status == CheckoutStatus.APPROVED
    assert [credit.amount for credit in Credit.objects.filter(account=account)] == [5_00, 15_00]


def test_back_from_sumup_the_top_up_reads_paid(standin) -> None:  # type: ignore[no-untyped-def]
    shop = portal_shop()
    connect(shop, "sumup", standin)
    account = account_with_balance(shop, 0)
    checkout = start_top_up(
        account=account, amount=25_00, idempotency_key="k1", return_url="http://testserver/"
    )
    standin.sumup_pay(checkout.provider_checkout_id)

    page = portal_client(account.customer).get(
        reverse("portal:top_up_done", args=[shop.slug, "k1"])
    )

    assert page.status_code == 200
    account.refresh_from_db()
    assert account.balance == 25_00
    assert Checkout.objects.get(pk=checkout.pk).status == CheckoutStatus.APPROVED
