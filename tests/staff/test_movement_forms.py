"""Record a movement, change the limit, deactivate: what each form writes, and every refusal.

Each refusal asserts that nothing was written (balances, rows, idempotency keys, audit events).
"""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from ardoise.audit.models import AuditEvent
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge, ChargeKind, Credit, CreditKind
from ardoise.payments.models import PaymentMode
from ardoise.shops.models import RoleKind, Shop
from ardoise.shops.permissions import Permission
from tests.factories import key, owner_of
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


def _url(account: Account, kind: str) -> str:
    return reverse("staff:customer_movement", args=[account.customer_id, kind])


def _today() -> str:
    return timezone.localdate().isoformat()


def _payment(**fields: str) -> dict[str, str]:
    return {
        "mode": "cash",
        "amount": "12,50",
        "day": _today(),
        "reference": "",
        "idempotency_key": key(),
        **fields,
    }


# --- Payments and top-ups ---------------------------------------------------------------------


def test_payment_is_recorded_and_redirects_to_the_activity(
    owner_client: Client, account: Account
) -> None:
    response = owner_client.post(_url(account, "payment"), _payment(reference="Chèque 42"))

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("staff:customer_account", args=[account.customer_id]) + "#activity"
    )
    credit = Credit.objects.get(account=account)
    assert (credit.kind, credit.mode, credit.amount, credit.reference) == (
        CreditKind.PAYMENT,
        "cash",
        12_50,
        "Chèque 42",
    )
    account.refresh_from_db()
    assert account.balance == 12_50
    assert credit.entry.actor == owner_of(account.shop)


def test_payment_form_offers_only_accepted_counter_modes(
    shop: Shop, owner_client: Client, account: Account
) -> None:
    PaymentMode.objects.filter(shop=shop, code="cheque").update(is_accepted=False)
    PaymentMode.objects.create(
        shop=shop, code="meal_voucher", custom_label="Titres-restaurant", position=9
    )

    response = owner_client.get(_url(account, "payment"))

    choices = [code for code, _label in response.context["form"].fields["mode"].choices]
    assert choices == ["cash", "card", "transfer", "meal_voucher"]
    assert response.context["form"]["idempotency_key"].value()


@pytest.mark.parametrize("mode", ["account", "online", "cheque_refused", ""])
def test_payment_refuses_a_mode_not_offered(
    shop: Shop, owner_client: Client, account: Account, mode: str
) -> None:
    before = database_snapshot()

    response = owner_client.post(_url(account, "payment"), _payment(mode=mode))

    assert response.status_code == 400
    assert "mode" in response.context["form"].errors
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be greater than zero."),
        ("0,00", "The amount must be greater than zero."),
        ("", "This field is required."),
        ("-5", "Enter an amount of zero or more."),
        ("12,345", "Enter at most two decimals."),
        ("douze", "Enter an amount, for example 12,50."),
        ("1.234,50", "Enter an amount, for example 12,50."),
    ],
)
def test_payment_refuses_a_bad_amount_and_writes_nothing(
    owner_client: Client, account: Account, amount: str, message: str
) -> None:
    before = database_snapshot()

    response = owner_client.post(_url(account, "payment"), _payment(amount=amount))

    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [message]
    assert database_snapshot() == before


def test_payment_refuses_a_future_date(owner_client: Client, account: Account) -> None:
    before = database_snapshot()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

    response = owner_client.post(_url(account, "payment"), _payment(day=tomorrow))

    assert response.context["form"].errors["day"] == ["The date cannot be in the future."]
    assert database_snapshot() == before


@pytest.mark.parametrize("kind", ["payment", "top-up"])
def test_a_date_received_long_before_the_shop_was_created_is_refused_next_to_the_field(
    shop: Shop, owner_client: Client, account: Account, kind: str
) -> None:
    before = database_snapshot()
    earliest = timezone.localdate(shop.created_at) - dt.timedelta(days=365)
    too_old = (earliest - dt.timedelta(days=1)).isoformat()

    response = owner_client.post(_url(account, kind), _payment(day=too_old))

    assert response.status_code == 400
    with translation.override("en"):
        shown = formats.date_format(earliest, "SHORT_DATE_FORMAT")
    assert response.context["form"].errors["day"] == [f"The date cannot be before {shown}."]
    assert database_snapshot() == before


@pytest.mark.parametrize("kind", ["payment", "top-up"])
def test_the_date_received_defaults_to_today_within_its_bounds(
    shop: Shop, owner_client: Client, account: Account, kind: str
) -> None:
    response = owner_client.get(_url(account, kind))

    field = response.context["form"]["day"]
    earliest = timezone.localdate(shop.created_at) - dt.timedelta(days=365)
    assert field.value() == timezone.localdate()
    assert field.field.widget.attrs["max"] == timezone.localdate().isoformat()
    assert field.field.widget.attrs["min"] == earliest.isoformat()
    assert b"When the money was received" in response.content


@pytest.mark.parametrize("kind", ["payment", "top-up"])
def test_online_payment_is_neither_offered_nor_accepted_on_the_account_tab(
    owner_client: Client, account: Account, kind: str
) -> None:
    before = database_snapshot()

    offered = owner_client.get(_url(account, kind)).context["form"].fields["mode"].choices
    response = owner_client.post(_url(account, kind), _payment(mode="online"))

    assert "online" not in dict(offered)
    assert response.status_code == 400
    assert "mode" in response.context["form"].errors
    assert database_snapshot() == before


def test_back_dated_payment_is_placed_on_its_day(owner_client: Client, account: Account) -> None:
    day = timezone.localdate() - dt.timedelta(days=10)

    owner_client.post(_url(account, "payment"), _payment(day=day.isoformat()))

    credit = Credit.objects.get(account=account)
    assert credit.received_on == day
    assert timezone.localdate(credit.entry.occurred_at) == day


def test_amount_with_thousands_separator_is_understood(
    owner_client: Client, account: Account
) -> None:
    owner_client.post(_url(account, "payment"), _payment(amount="1 234,50"))

    account.refresh_from_db()
    assert account.balance == 1234_50


def test_the_same_form_posted_twice_records_one_payment(
    owner_client: Client, account: Account
) -> None:
    data = _payment(amount="30")
    first = owner_client.post(_url(account, "payment"), data)
    after_first = database_snapshot()

    second = owner_client.post(_url(account, "payment"), data)

    assert (first.status_code, second.status_code) == (302, 302)
    assert database_snapshot() == after_first
    assert Credit.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.balance == 30_00


def test_a_stale_key_reused_for_another_amount_is_refused(
    owner_client: Client, account: Account
) -> None:
    data = _payment(amount="30")
    owner_client.post(_url(account, "payment"), data)
    after_first = database_snapshot()

    response = owner_client.post(_url(account, "payment"), {**data, "amount": "31"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "The page was out of date: this form was already sent with other values. Nothing was "
        "recorded; check it and send it again."
    ]
    assert response.context["form"]["idempotency_key"].value() != data["idempotency_key"]
    assert database_snapshot() == after_first


def test_top_up_by_transfer(owner_client: Client, account: Account) -> None:
    response = owner_client.post(
        _url(account, "top-up"), _payment(mode="transfer", amount="50", reference="VIR 0425")
    )

    assert response.status_code == 302
    credit = Credit.objects.get(account=account)
    assert (credit.kind, credit.mode, credit.amount) == (CreditKind.TOP_UP, "transfer", 50_00)


def test_payment_settles_the_oldest_open_charge(owner_client: Client, account: Account) -> None:
    old = ledger.post_charge(account=account, total=20_00, idempotency_key=key(), actor=None)
    new = ledger.post_charge(account=account, total=30_00, idempotency_key=key(), actor=None)

    owner_client.post(_url(account, "payment"), _payment(amount="25"))

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.open_amount, new.open_amount) == (0, 25_00)


# --- Adjustments ------------------------------------------------------------------------------


def _adjustment(**fields: str) -> dict[str, str]:
    return {"amount": "10", "reason": "Crate returned damaged", "idempotency_key": key(), **fields}


def test_debit_adjustment_posts_a_debit_note_with_its_reason(
    owner_client: Client, account: Account
) -> None:
    response = owner_client.post(_url(account, "debit"), _adjustment(amount="40"))

    assert response.status_code == 302
    charge = Charge.objects.get(account=account)
    assert (charge.kind, charge.total, charge.description) == (
        ChargeKind.DEBIT_NOTE,
        40_00,
        "Crate returned damaged",
    )
    assert charge.entry.reason == "Crate returned damaged"


def test_debit_adjustment_beyond_the_limit_is_refused_and_writes_nothing(
    owner_client: Client, account: Account
) -> None:
    before = database_snapshot()

    response = owner_client.post(_url(account, "debit"), _adjustment(amount="100,01"))

    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [
        "This would take the account beyond its credit limit: it would owe €100.01; "
        "€100.00 available."
    ]
    assert database_snapshot() == before


@pytest.mark.parametrize("kind", ["debit", "credit"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_adjustment_without_a_reason_is_refused_and_writes_nothing(
    owner_client: Client, account: Account, kind: str, reason: str
) -> None:
    before = database_snapshot()

    response = owner_client.post(_url(account, kind), _adjustment(reason=reason))

    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["This field is required."]
    assert database_snapshot() == before


def test_override_lets_an_owner_go_beyond_the_limit_and_is_recorded(
    owner_client: Client, account: Account
) -> None:
    response = owner_client.post(
        _url(account, "debit"), _adjustment(amount="150", override_limit="on")
    )

    assert response.status_code == 302
    charge = Charge.objects.get(account=account)
    assert charge.entry.limit_override_by == owner_of(account.shop)
    account.refresh_from_db()
    assert account.balance == -150_00


def test_override_box_is_absent_and_ignored_without_the_permission(
    account: Account, client_as
) -> None:  # type: ignore[no-untyped-def]
    manager = client_as(RoleKind.MANAGER)
    assert "override_limit" not in manager.get(_url(account, "debit")).context["form"].fields
    before = database_snapshot()

    response = manager.post(_url(account, "debit"), _adjustment(amount="150", override_limit="on"))

    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [
        "This would take the account beyond its credit limit: it would owe €150.00; "
        "€100.00 available."
    ]
    assert database_snapshot() == before


def test_credit_adjustment(owner_client: Client, account: Account) -> None:
    owner_client.post(_url(account, "credit"), _adjustment(amount="7,50", reason="Goodwill"))

    credit = Credit.objects.get(account=account)
    assert (credit.kind, credit.amount, credit.reason) == (CreditKind.ADJUSTMENT, 7_50, "Goodwill")


# --- Credit limit and deactivation ------------------------------------------------------------


def _limit_url(account: Account) -> str:
    return reverse("staff:customer_credit_limit", args=[account.customer_id])


@pytest.mark.parametrize(
    ("typed", "no_limit", "stored"),
    [("250", "", 250_00), ("1 000,50", "", 1000_50), ("", "on", None), ("0", "", 0)],
)
def test_credit_limit_is_saved_and_audited(
    owner_client: Client, account: Account, typed: str, no_limit: str, stored: int | None
) -> None:
    response = owner_client.post(
        _limit_url(account),
        {"credit_limit": typed, "no_limit": no_limit, "idempotency_key": key()},
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.credit_limit == stored
    event = AuditEvent.objects.filter(action="ledger.account.credit_limit_changed").get()
    assert event.data == {"from": 100_00, "to": stored, "reason": ""}
    assert event.actor_id == owner_of(account.shop).pk


@pytest.mark.parametrize("typed", ["-1", "abc", "10,001"])
def test_bad_credit_limit_is_refused_next_to_the_field(
    owner_client: Client, account: Account, typed: str
) -> None:
    before = database_snapshot()

    response = owner_client.post(
        _limit_url(account), {"credit_limit": typed, "idempotency_key": key()}
    )

    assert response.status_code == 400
    assert list(response.context["limit_form"].errors) == ["credit_limit"]
    assert database_snapshot() == before


def test_clearing_the_credit_limit_is_refused_next_to_the_field_not_taken_as_no_limit(
    owner_client: Client, account: Account
) -> None:
    before = database_snapshot()

    response = owner_client.post(
        _limit_url(account), {"credit_limit": "", "idempotency_key": key()}
    )

    assert response.status_code == 400
    assert response.context["limit_form"].errors == {
        "credit_limit": ["Enter a credit limit (0 for no credit), or tick “No limit”."]
    }
    assert database_snapshot() == before
    account.refresh_from_db()
    assert account.credit_limit == 100_00


def test_an_amount_with_no_limit_ticked_is_refused_as_contradictory(
    owner_client: Client, account: Account
) -> None:
    before = database_snapshot()

    response = owner_client.post(
        _limit_url(account), {"credit_limit": "50", "no_limit": "on", "idempotency_key": key()}
    )

    assert response.status_code == 400
    assert response.context["limit_form"].errors == {
        "credit_limit": ["Clear the amount, or untick “No limit”."]
    }
    assert database_snapshot() == before


def test_the_limit_form_shows_no_limit_ticked_for_an_account_without_limit(
    owner_client: Client, account: Account
) -> None:
    ledger.change_credit_limit(
        account=account, credit_limit=None, actor=None, idempotency_key=key()
    )

    form = owner_client.get(reverse("staff:customer_account", args=[account.customer_id])).context[
        "limit_form"
    ]

    assert (form["credit_limit"].value(), form["no_limit"].value()) == (None, True)


def test_credit_limit_needs_its_permission(account: Account, client_as) -> None:  # type: ignore[no-untyped-def]
    associate = client_as(RoleKind.ASSOCIATE)
    before = database_snapshot()

    response = associate.post(
        _limit_url(account), {"credit_limit": "5000", "idempotency_key": key()}
    )

    assert response.status_code == 403
    assert database_snapshot() == before


def test_deactivation_explains_then_sets_the_limit_to_zero(
    owner_client: Client, account: Account
) -> None:
    url = reverse("staff:customer_deactivate", args=[account.customer_id])
    page = owner_client.get(url).content.decode()
    assert "New sales on account and debit adjustments" in page
    assert "The customer can still spend a prepaid balance" in page

    response = owner_client.post(url, {"idempotency_key": key()})

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.credit_limit == 0
    event = AuditEvent.objects.get(action="ledger.account.credit_limit_changed")
    assert event.data == {"from": 100_00, "to": 0, "reason": "deactivated"}


def test_a_deactivated_account_refuses_a_debit_but_accepts_a_payment(
    owner_client: Client, account: Account
) -> None:
    owner_client.post(
        reverse("staff:customer_deactivate", args=[account.customer_id]), {"idempotency_key": key()}
    )
    before = database_snapshot()

    refused = owner_client.post(_url(account, "debit"), _adjustment(amount="1"))
    assert refused.status_code == 400
    assert database_snapshot() == before

    accepted = owner_client.post(_url(account, "payment"), _payment(amount="5"))
    assert accepted.status_code == 302


def test_no_email_is_sent_by_any_movement(owner_client: Client, account: Account) -> None:
    owner_client.post(_url(account, "payment"), _payment())
    owner_client.post(_url(account, "debit"), _adjustment())

    assert mail.outbox == []
    assert Permission.PAYMENTS_RECORD.value == "payments.record"
