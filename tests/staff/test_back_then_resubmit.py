"""Back after the confirmation, then the form sent again: one payment, unless the cashier says two.

The browser's Back does not always restore the page as it was: it may fetch it again, and the
page drawn then carries a new idempotency key. Sent again, the same money form would record the
same payment twice. Every money form of the till therefore asks first when the same staff member
made the same write a moment ago (staff/repeats.py): nothing is written until the box is ticked;
ticked, the second one is recorded. Another amount, another customer, another staff member or a
write older than the window are not asked about. The same page sent again (its key already used,
as when the browser restores it from its cache) gives the first result, said as such.

Each test walks the flow as the browser does: GET the form page (a key), POST it, GET the page
again (what Back fetches: a fresh key), POST it again with the same values.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.invoicing.models import Order
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge, ChargeKind, Credit, CreditKind
from ardoise.payments.models import Settlement
from ardoise.shops.models import RoleKind, Shop, User
from ardoise.staff.repeats import WINDOW
from tests.factories import client_for, key, make_account, make_member
from tests.invoicing.builders import make_invoice
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db

ASKED = "was recorded for this customer"
ASKED_INVOICE = "was recorded for this invoice"
CONFIRM = {"confirm_repeat": "1"}


@dataclass(frozen=True)
class Flow:
    url: str  # the form page
    post: str  # where its form posts
    data: dict[str, object]  # what the cashier types, the same both times
    count: Callable[[], int]  # the rows one submit writes
    question: str  # the question the second submit asks
    form: str = '<form method="post"'  # where the money form starts on the page


def _shown(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert found, f"no {name} on the page"
    return found.group(1)


def _page_fields(client: Client, flow: Flow) -> dict[str, object]:
    """What the browser sends from the page it just fetched: the typed values and the page's
    own hidden fields (its key, and for a settlement what it showed as still owed)."""
    html = _money_form(client.get(flow.url).content.decode(), flow)
    fields = dict(flow.data) | {"idempotency_key": _shown(html, "idempotency_key")}
    if 'name="expected_open"' in html:
        fields["expected_open"] = _shown(html, "expected_open")
    return fields


def _money_form(html: str, flow: Flow) -> str:
    return html[html.index(flow.form) :]


def _credits(kind: str) -> Callable[[], int]:
    return lambda: Credit.objects.filter(kind=kind).count()


RECEIPT = {"mode": "cash", "amount": "20", "reference": ""}


def payment(shop: Shop, account: Account) -> Flow:
    url = reverse("staff:customer_movement", args=[account.customer_id, "payment"])
    data = RECEIPT | {"day": timezone.localdate().isoformat()}
    return Flow(url, url, data, _credits(CreditKind.PAYMENT), "A payment of €20.00 (Cash) " + ASKED)


def top_up(shop: Shop, account: Account) -> Flow:
    url = reverse("staff:customer_movement", args=[account.customer_id, "top-up"])
    data = RECEIPT | {"day": timezone.localdate().isoformat()}
    return Flow(url, url, data, _credits(CreditKind.TOP_UP), "A top-up of €20.00 (Cash) " + ASKED)


def debit(shop: Shop, account: Account) -> Flow:
    url = reverse("staff:customer_movement", args=[account.customer_id, "debit"])
    count = lambda: Charge.objects.filter(kind=ChargeKind.DEBIT_NOTE).count()  # noqa: E731
    return Flow(url, url, {"amount": "5", "reason": "Casier"}, count, "A debit adjustment of €5.00")


def credit(shop: Shop, account: Account) -> Flow:
    url = reverse("staff:customer_movement", args=[account.customer_id, "credit"])
    data = {"amount": "5", "reason": "Geste"}
    return Flow(url, url, data, _credits(CreditKind.ADJUSTMENT), "A credit adjustment of €5.00")


def _sale(action: str) -> Callable[[Shop, Account], Flow]:
    def flow(shop: Shop, account: Account) -> Flow:
        post = reverse("staff:sale_new")
        url = f"{post}?customer={account.customer_id}"
        data = {
            "customer": account.customer_id,
            "line-0-item": "Panier",
            "line-0-quantity": "1",
            "line-0-price": "12",
            "line-0-vat": "5.5",
            "action": action,
        }
        return Flow(
            url, post, data, Order.objects.count, "A sale of €12.00 with the same lines " + ASKED
        )

    flow.__name__ = f"sale_{action}"
    return flow


sale_order = _sale("order")
sale_deliver = _sale("deliver")


def settle(shop: Shop, account: Account) -> Flow:
    invoice = make_invoice(account)  # 60,00 €: 10 € twice leaves it open, so the form is there
    url = reverse("staff:charge_detail", args=[invoice.charge_id])
    post = reverse("staff:charge_settle", args=[invoice.charge_id])
    data = {"mode": "cash", "amount": "10", "received_on": ""}
    question = "A settlement of €10.00 (Cash) " + ASKED_INVOICE
    return Flow(url, post, data, Settlement.objects.count, question, form='id="settle-form"')


def refund(shop: Shop, account: Account) -> Flow:
    invoice = make_invoice(account)
    url = reverse("staff:charge_refund", args=[invoice.charge_id])
    data = {"amount": "10", "mode": "account", "reason": "Abîmé"}
    return Flow(
        url, url, data, _credits(CreditKind.CREDIT_NOTE), "A refund of €10.00 " + ASKED_INVOICE
    )


FLOWS = [payment, top_up, debit, credit, sale_order, sale_deliver, settle, refund]
IDS = [flow.__name__ for flow in FLOWS]


@pytest.mark.parametrize("build", FLOWS, ids=IDS)
def test_back_then_the_same_form_again_asks_and_writes_nothing(
    build: Callable[[Shop, Account], Flow], shop: Shop, account: Account, owner_client: Client
) -> None:
    flow = build(shop, account)
    first = owner_client.post(flow.post, _page_fields(owner_client, flow))
    assert first.status_code == 302
    assert flow.count() == 1
    again = _page_fields(owner_client, flow)  # Back: the page fetched again, a fresh key
    before = database_snapshot()

    asked = owner_client.post(flow.post, again)

    assert asked.status_code == 409
    page = asked.content.decode()
    assert flow.question in page
    assert "Record another one?" in page
    assert 'name="confirm_repeat"' in page
    assert _shown(_money_form(page, flow), "idempotency_key") == again["idempotency_key"]
    assert database_snapshot().changes_since(before) == {}
    assert flow.count() == 1


@pytest.mark.parametrize("build", FLOWS, ids=IDS)
def test_back_then_the_same_form_confirmed_records_a_second_one(
    build: Callable[[Shop, Account], Flow], shop: Shop, account: Account, owner_client: Client
) -> None:
    flow = build(shop, account)
    owner_client.post(flow.post, _page_fields(owner_client, flow))
    again = _page_fields(owner_client, flow)
    owner_client.post(flow.post, again)  # asked

    confirmed = owner_client.post(flow.post, again | CONFIRM)
    twice = owner_client.post(flow.post, again | CONFIRM)  # a double click on it

    assert (confirmed.status_code, twice.status_code) == (302, 302)
    assert flow.count() == 2


@pytest.mark.parametrize("build", FLOWS, ids=IDS)
def test_the_same_page_sent_again_says_it_was_already_recorded(
    build: Callable[[Shop, Account], Flow], shop: Shop, account: Account, owner_client: Client
) -> None:
    """The page restored by the browser's back/forward cache: the same key, the first result."""
    flow = build(shop, account)
    fields = _page_fields(owner_client, flow)
    first = owner_client.post(flow.post, fields)
    before = database_snapshot()

    again = owner_client.post(flow.post, fields, follow=True)

    assert again.redirect_chain[0][0] == first["Location"]
    assert "Already recorded: this form had been sent before." in again.content.decode()
    assert database_snapshot().changes_since(before) == {}
    assert flow.count() == 1


def test_another_amount_is_not_asked_about(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    flow = payment(shop, account)
    owner_client.post(flow.post, _page_fields(owner_client, flow))

    other = owner_client.post(flow.post, _page_fields(owner_client, flow) | {"amount": "21"})

    assert other.status_code == 302
    assert flow.count() == 2


def test_two_customers_paying_the_same_amount_are_not_asked_about(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    other_account = make_account(shop, name="Léa Durand", email="lea@ex.fr")
    for each in (account, other_account):
        flow = payment(shop, each)
        response = owner_client.post(flow.post, _page_fields(owner_client, flow))
        assert response.status_code == 302

    assert flow.count() == 2


def test_another_staff_member_recording_the_same_payment_is_not_asked(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    colleague = client_for(make_member(shop, RoleKind.MANAGER))
    flow = payment(shop, account)
    owner_client.post(flow.post, _page_fields(owner_client, flow))

    response = colleague.post(flow.post, _page_fields(colleague, flow))

    assert response.status_code == 302
    assert flow.count() == 2


def test_the_same_payment_after_the_window_is_not_asked_about(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    flow = payment(shop, account)
    owner_client.post(flow.post, _page_fields(owner_client, flow))

    with time_machine.travel(timezone.now() + WINDOW + dt.timedelta(seconds=1)):
        response = owner_client.post(flow.post, _page_fields(owner_client, flow))

    assert response.status_code == 302
    assert flow.count() == 2


def test_a_reversed_payment_is_not_asked_about(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    flow = payment(shop, account)
    owner_client.post(flow.post, _page_fields(owner_client, flow))
    first = Credit.objects.get(kind=CreditKind.PAYMENT)
    ledger.reverse_entry(entry=first.entry, reason="Erreur", idempotency_key=key(), actor=None)

    response = owner_client.post(flow.post, _page_fields(owner_client, flow))

    assert response.status_code == 302
    assert flow.count() == 2


def _in_french(client: Client) -> User:
    user = User.objects.get(pk=client.session["_auth_user_id"])
    user.language = "fr"
    user.save(update_fields=["language"])
    return user


def test_the_question_is_in_french_with_the_amount_written_in_french(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    owner_client.force_login(_in_french(owner_client))
    flow = payment(shop, account)
    owner_client.post(flow.post, _page_fields(owner_client, flow))

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        asked = owner_client.post(flow.post, _page_fields(owner_client, flow))

    page = asked.content.decode()
    assert (
        "Un paiement de 20,00\xa0€ (Espèces) a été enregistré pour ce client il y a 30 secondes. "
        "En enregistrer un autre ?"
    ) in page
    assert "Oui, l’enregistrer aussi" in page


@pytest.mark.parametrize("build", FLOWS, ids=IDS)
def test_the_form_page_may_be_restored_by_the_back_button_but_never_shared(
    build: Callable[[Shop, Account], Flow], shop: Shop, account: Account, owner_client: Client
) -> None:
    """`no-store` would keep Chromium from restoring the page (and its key) on Back."""
    flow = build(shop, account)

    page = owner_client.get(flow.url)

    assert page.status_code == 200
    assert sorted(page["Cache-Control"].split(", ")) == ["no-cache", "private"]
