"""Overrides and every other audited event are visible: the activity marks an overridden charge
with who overrode it, and the audit log lists the shop's events in plain words."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.audit.models import AuditEvent
from ardoise.customers.services import create_customer
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, CreditKind
from ardoise.shops.models import RoleKind, Shop
from ardoise.staff.audit.sentences import SENTENCES
from tests.factories import client_for, key, make_account, make_member, make_shop, owner_of

pytestmark = pytest.mark.django_db

URL = reverse("staff:audit_log")


def _plain(html: str) -> str:
    return html.replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture
def overridden(account: Account, shop: Shop) -> Account:
    """Limit 100 €: an 80 € sale, then a 50 € debit with the limit overridden by the owner."""
    ledger.post_charge(account=account, total=80_00, idempotency_key=key(), actor=None)
    owner = owner_of(shop)
    owner.first_name, owner.last_name = "Hélène", "Vasseur"
    owner.save(update_fields=["first_name", "last_name"])
    ledger.post_debit_adjustment(
        account=account,
        amount=50_00,
        reason="Livraison spéciale",
        idempotency_key=key(),
        actor=owner,
        override_by=owner,
    )
    account.refresh_from_db()
    return account


def test_the_activity_marks_an_overridden_charge_with_who_overrode_it(
    owner_client: Client, overridden: Account
) -> None:
    response = owner_client.get(reverse("staff:customer_account", args=[overridden.customer_id]))

    lines = response.context["lines"]
    assert [line.overridden_by for line in lines] == ["Hélène Vasseur", ""]
    assert "Limit overridden by Hélène Vasseur" in response.content.decode()


def test_the_audit_log_lists_events_in_plain_words(
    owner_client: Client, overridden: Account
) -> None:
    ledger.change_credit_limit(
        account=overridden, credit_limit=None, actor=None, idempotency_key=key()
    )

    response = owner_client.get(URL)

    assert response.status_code == 200
    sentences = [sentence for _event, sentence, _customer in response.context["rows"]]
    assert _plain(sentences[0]) == "Changed the credit limit from €100.00 to no limit."
    assert _plain(sentences[1]) == (
        "Charged €50.00 beyond the credit limit of €100.00: limit overridden by Hélène Vasseur."
    )
    html = response.content.decode()
    assert "ledger.charge.posted" not in html.replace('data-action="ledger.charge.posted"', "")
    assert "override_by" not in html
    assert "{" not in _plain(sentences[1])
    customers = {customer.pk for _e, _s, customer in response.context["rows"] if customer}
    assert customers == {overridden.customer_id}


def test_the_audit_log_filters_by_customer_staff_member_and_kind(
    owner_client: Client, overridden: Account, shop: Shop
) -> None:
    customer = create_customer(shop_id=shop.pk, actor_id=None, name="Bernard Roux")
    other = ledger.open_account(
        customer=customer, actor=None, idempotency_key=key(), credit_limit=None
    )
    cashier = make_member(shop, RoleKind.ASSOCIATE, first_name="Zoé", last_name="Lenoir")
    ledger.record_payment(
        account=other, amount=12_00, mode="cash", idempotency_key=key(), actor=cashier
    )

    def actions(**params: str) -> list[str]:
        rows = owner_client.get(URL, params).context["rows"]
        return [event.action for event, _sentence, _customer in rows]

    assert actions(customer=str(other.customer_id)) == [
        "ledger.payment.recorded",
        "ledger.account.opened",
        "customers.customer.created",
    ]
    assert actions(q="roux") == actions(customer=str(other.customer_id))
    assert actions(staff=str(cashier.pk)) == ["ledger.payment.recorded"]
    assert actions(kind="override") == ["ledger.charge.posted"]
    assert actions(kind="payments", staff="none") == []
    assert "ledger.payment.recorded" not in actions(staff="none")


def test_the_audit_log_is_paginated(owner_client: Client, account: Account) -> None:
    for _ in range(55):
        ledger.record_payment(
            account=account, amount=1_00, mode="cash", idempotency_key=key(), actor=None
        )

    first = owner_client.get(URL)
    second = owner_client.get(URL, {"page": "2"})

    assert len(first.context["rows"]) == 50
    assert (
        first.context["page"].paginator.count
        == AuditEvent.objects.filter(shop_id=account.shop_id).count()
    )
    assert len(second.context["rows"]) == first.context["page"].paginator.count - 50


def test_the_audit_log_shows_only_the_shops_own_events(owner_client: Client, shop: Shop) -> None:
    theirs = make_shop()
    make_account(theirs, name="Someone Else")

    rows = owner_client.get(URL).context["rows"]

    assert {event.shop_id for event, _s, _c in rows} == {shop.pk}


@pytest.mark.parametrize("role", [RoleKind.MANAGER, RoleKind.ASSOCIATE])
def test_the_audit_log_needs_the_settings_permission(shop: Shop, role: str) -> None:
    response = client_for(make_member(shop, role)).get(URL)

    assert response.status_code == 403


def test_every_action_the_code_records_has_a_sentence() -> None:
    source = Path(__file__).resolve().parents[2] / "ardoise"
    literal = re.compile(
        r'"((?:api|audit|core|customers|ledger|invoicing|payments|shops|statements)\.[a-z_]+\.[a-z_]+)"'
    )
    recorded: set[str] = set()
    for path in source.rglob("*.py"):
        if "migrations" in path.parts or "staff" in path.parts:
            continue
        text = path.read_text()
        if "record_event" not in text:
            continue
        recorded |= set(literal.findall(text))
        recorded |= {"api.call"} if 'action="api.call"' in text else set()
        if 'action=f"ledger.{kind}.recorded"' in text:
            recorded |= {f"ledger.{kind}.recorded" for kind in CreditKind.values}
    recorded -= {"ledger.credit_note.recorded"}  # credit notes are "issued", not "recorded"

    assert sorted(recorded - set(SENTENCES)) == []


def test_the_audit_log_reads_a_fixed_number_of_queries_whatever_the_page_holds(
    owner_client: Client, overridden: Account, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    owner_client.get(URL)  # the session and the member's language are settled first
    for _ in range(20):
        ledger.record_payment(
            account=overridden, amount=1_00, mode="cash", idempotency_key=key(), actor=None
        )

    # session, user, membership; count, page; members, modes; accounts, charges, credits
    # (one query per object type on the page), customers.
    with django_assert_num_queries(11):
        response = owner_client.get(URL)

    assert len(response.context["rows"]) == 24  # shop, account, two charges, 20 payments
