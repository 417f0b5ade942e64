"""The Account tab shows what online orders and checkouts hold on the account: the amount
reserved beside the other figures, and each hold with what it is for; Debt, Deposit and Balance
are unchanged by a hold, and the available credit counts it."""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from tests.factories import key

pytestmark = pytest.mark.django_db


def _tab(owner_client: Client, account: Account) -> str:
    url = reverse("staff:customer_account", args=[account.customer_id])
    response = owner_client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_account_tab_lists_the_holds_and_counts_them_in_the_available_credit(
    owner_client: Client, account: Account
) -> None:
    ledger.record_top_up(
        account=account, amount=50_00, mode="cash", actor=None, idempotency_key=key()
    )
    ledger.reserve(account=account, amount=20_00, reference="order:12")
    ledger.reserve(account=account, amount=5_00, reference="checkout:7")

    page = _tab(owner_client, account)

    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit, account.reserved) == (
        50_00,
        0,
        50_00,
        25_00,
    )
    assert 'id="reserved">€25.00<' in page
    assert 'id="available">€125.00<' in page  # 50 € balance + 100 € limit − 25 € held
    assert reverse("staff:order_detail", args=[12]) in page
    assert "Online order No. 12" in page
    assert "Online payment started, not confirmed yet" in page


def test_no_hold_no_reservation_section(owner_client: Client, account: Account) -> None:
    page = _tab(owner_client, account)

    assert 'id="reservations"' not in page
    assert 'id="reserved"' not in page


def test_a_released_hold_is_no_longer_shown(owner_client: Client, account: Account) -> None:
    ledger.reserve(account=account, amount=20_00, reference="order:12")
    ledger.release(account=account, reference="order:12")

    page = _tab(owner_client, account)

    assert "Online order No. 12" not in page
    assert 'id="available">€100.00<' in page
