"""Every keyed form: its key sent again with another request is refused, and nothing is recorded.

A form carries the idempotency key made when it was rendered: sent twice as it was (a double
click, a reload), it gives the first result; sent with other values under the same key (a page
kept open and edited after it was sent, a tampered form), the form says that the page was out of
date and records nothing: neither the second request nor a copy of the first. The page shown
then carries a fresh key, so that the corrected form, sent again, is a new request.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from ardoise.statements.issuing import issue_statement
from tests.factories import key, make_account
from tests.invoicing.builders import make_invoice
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db

OUT_OF_DATE = "The page was out of date"


@dataclass(frozen=True)
class Case:
    first: tuple[str, dict[str, object]]  # url and data, sent first
    other: tuple[str, dict[str, object]]  # the same key with another request


def _second_account(shop: Shop) -> Account:
    return make_account(shop, credit_limit=100_00, name="Léa Durand", email="lea@ex.fr")


def new_customer(shop: Shop, account: Account) -> Case:
    url = reverse("staff:customer_create")
    data = {"name": "Jean Petit", "credit_limit": "50", "email": "", "country": "FR"}
    return Case((url, data), (url, data | {"name": "Jeanne Grand"}))


def credit_limit(shop: Shop, account: Account) -> Case:
    url = reverse("staff:customer_credit_limit", args=[account.customer_id])
    return Case((url, {"credit_limit": "50"}), (url, {"credit_limit": "70"}))


def deactivate(shop: Shop, account: Account) -> Case:
    other = _second_account(shop)
    first = reverse("staff:customer_deactivate", args=[account.customer_id])
    second = reverse("staff:customer_deactivate", args=[other.customer_id])
    return Case((first, {}), (second, {}))


def apply_deposit(shop: Shop, account: Account) -> Case:
    shop.auto_allocate = False  # the deposit waits beside the open charges
    shop.save(update_fields=["auto_allocate"])
    ledger.record_top_up(
        account=account, amount=200_00, mode="transfer", actor=None, idempotency_key=key()
    )
    one, two = make_invoice(account), make_invoice(account)
    url = reverse("staff:customer_apply_deposit", args=[account.customer_id])
    return Case((url, {"charges": [one.charge_id]}), (url, {"charges": [two.charge_id]}))


def _movement(
    kind: str, data: dict[str, object], changed: dict[str, object]
) -> Callable[..., Case]:
    def case(shop: Shop, account: Account) -> Case:
        url = reverse("staff:customer_movement", args=[account.customer_id, kind])
        return Case((url, data), (url, data | changed))

    case.__name__ = f"movement_{kind}"
    return case


RECEIPT = {
    "mode": "cash",
    "amount": "12,50",
    "day": timezone.localdate().isoformat(),
    "reference": "",
}
payment = _movement("payment", RECEIPT, {"amount": "13,50"})
top_up = _movement("top-up", RECEIPT, {"amount": "13,50"})
debit = _movement("debit", {"amount": "5", "reason": "Casier"}, {"amount": "6"})
credit = _movement("credit", {"amount": "5", "reason": "Geste"}, {"amount": "6"})


def sale(shop: Shop, account: Account) -> Case:
    url = reverse("staff:sale_new")
    data = {
        "customer": account.customer_id,
        "line-0-item": "Panier",
        "line-0-quantity": "1",
        "line-0-price": "12",
        "line-0-vat": "5.5",
        "action": "save",
    }
    return Case((url, data), (url, data | {"line-0-quantity": "2"}))


def settle(shop: Shop, account: Account) -> Case:
    invoice = make_invoice(account)  # 60,00 €
    url = reverse("staff:charge_settle", args=[invoice.charge_id])
    data = {"mode": "cash", "amount": "10", "expected_open": "6000", "received_on": ""}
    return Case((url, data), (url, data | {"amount": "20"}))


def refund(shop: Shop, account: Account) -> Case:
    invoice = make_invoice(account)
    url = reverse("staff:charge_refund", args=[invoice.charge_id])
    data = {"amount": "10", "mode": "account", "reason": "Abîmé"}
    return Case((url, data), (url, data | {"amount": "20"}))


def reverse_charge(shop: Shop, account: Account) -> Case:
    ledger.record_top_up(
        account=account, amount=200_00, mode="transfer", actor=None, idempotency_key=key()
    )
    one, two = make_invoice(account), make_invoice(account)
    data = {"reason": "Saisie en double"}
    return Case(
        (reverse("staff:charge_reverse", args=[one.charge_id]), data),
        (reverse("staff:charge_reverse", args=[two.charge_id]), data),
    )


def reverse_credit(shop: Shop, account: Account) -> Case:
    one, two = (
        ledger.record_payment(
            account=account, amount=amount, mode="cash", actor=None, idempotency_key=key()
        )
        for amount in (10_00, 20_00)
    )
    data = {"reason": "Saisie en double"}
    return Case(
        (reverse("staff:credit_reverse", args=[one.pk]), data),
        (reverse("staff:credit_reverse", args=[two.pk]), data),
    )


def send_statement(shop: Shop, account: Account) -> Case:
    other = _second_account(shop)
    make_invoice(account), make_invoice(other)
    data = {"email": "camille@ex.fr", "action": "send"}
    return Case(
        (reverse("staff:statement_preview", args=[account.customer_id]), data),
        (reverse("staff:statement_preview", args=[other.customer_id]), data),
    )


def send_statement_elsewhere(shop: Shop, account: Account) -> Case:
    make_invoice(account)
    url = reverse("staff:statement_preview", args=[account.customer_id])
    data = {"email": "camille@ex.fr", "action": "send"}
    return Case((url, data), (url, data | {"email": "someone.else@ex.fr"}))


def resend_statement(shop: Shop, account: Account) -> Case:
    make_invoice(account)
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    url = reverse("staff:statement_send", args=[statement.pk])
    return Case((url, {"email": "camille@ex.fr"}), (url, {"email": "someone.else@ex.fr"}))


def statement_run(shop: Shop, account: Account) -> Case:
    make_invoice(account)
    url = reverse("staff:statement_runs")
    return Case((url, {"minimum_debt": "1"}), (url, {"minimum_debt": "2"}))


CASES = [
    new_customer,
    credit_limit,
    deactivate,
    apply_deposit,
    payment,
    top_up,
    debit,
    credit,
    sale,
    settle,
    refund,
    reverse_charge,
    reverse_credit,
    send_statement,
    send_statement_elsewhere,
    resend_statement,
    statement_run,
]


def _errors(response: HttpResponse) -> str:
    contexts = response.context or []
    values = [v for context in contexts for v in context.flatten().values()]
    return repr([value.errors for value in values if hasattr(value, "errors")])


def _shown_key(html: str) -> str | None:
    found = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="idempotency_key"', html
    )
    return found.group(1) if found else None


# Committed for real, as in production, where a view runs outside any transaction: a refusal
# rolls back the use case's own transaction, and the page is then drawn from the database.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("build", CASES, ids=[case.__name__ for case in CASES])
def test_a_key_sent_again_with_another_request_is_refused_and_records_nothing(
    build: Callable[[Shop, Account], Case], shop: Shop, account: Account, owner_client: Client
) -> None:
    case = build(shop, account)
    used = key()
    (first_url, first), (other_url, other) = case.first, case.other
    done = owner_client.post(first_url, first | {"idempotency_key": used})
    assert done.status_code == 302, _errors(done)
    before = database_snapshot()

    refused = owner_client.post(other_url, other | {"idempotency_key": used}, follow=True)

    page = refused.content.decode()
    assert OUT_OF_DATE in page
    assert "Nothing was recorded" in page
    assert database_snapshot() == before
    shown = _shown_key(page)
    assert shown != used  # a fresh key (or none: the page has no form to send again)


@pytest.mark.parametrize("build", CASES, ids=[case.__name__ for case in CASES])
def test_the_same_request_sent_twice_gives_the_first_result(
    build: Callable[[Shop, Account], Case], shop: Shop, account: Account, owner_client: Client
) -> None:
    case = build(shop, account)
    url, data = case.first
    data = data | {"idempotency_key": key()}
    first = owner_client.post(url, data)
    after_first = database_snapshot()

    again = owner_client.post(url, data)

    assert (first.status_code, again.status_code) == (302, 302), _errors(first) + _errors(again)
    assert again["Location"] == first["Location"]
    assert database_snapshot() == after_first
