"""With automatic allocation off, the Account tab says why a deposit sits beside open charges
and applies it to the charges staff tick, in one action; the payment form says what it will do."""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.audit.models import AuditEvent
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Allocation, Charge, ChargeKind, ChargeStatus, Credit
from ardoise.shops.models import RoleKind, Shop
from tests.factories import key, make_account
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


def _tab(account: Account) -> str:
    return reverse("staff:customer_account", args=[account.customer_id])


def _apply_url(account: Account) -> str:
    return reverse("staff:customer_apply_deposit", args=[account.customer_id])


@pytest.fixture
def manual(shop: Shop) -> Shop:
    shop.auto_allocate = False
    shop.save(update_fields=["auto_allocate"])
    return shop


@pytest.fixture
def idle(manual: Shop) -> tuple[Account, list[Charge], Credit]:
    """Two invoices (40 €, 25 €), a debit note (10 €) and a 30 € top-up not applied."""
    account = make_account(manual, credit_limit=None, name="Camille Martin")
    charges = [
        ledger.post_charge(
            account=account, total=total, reference=ref, idempotency_key=key(), actor=None
        )
        for total, ref in [(40_00, "F-1"), (25_00, "F-2")]
    ]
    charges.append(
        ledger.post_debit_adjustment(
            account=account, amount=10_00, reason="Caisse", idempotency_key=key(), actor=None
        )
    )
    credit = ledger.record_top_up(
        account=account, amount=30_00, mode="transfer", idempotency_key=key(), actor=None
    )
    account.refresh_from_db()
    return account, charges, credit


def test_the_account_tab_says_why_the_deposit_has_not_paid_the_open_charges(
    owner_client: Client, idle: tuple[Account, list[Charge], Credit]
) -> None:
    account, charges, _ = idle

    response = owner_client.get(_tab(account))

    page = response.content.decode().replace("\xa0", " ").replace("\u202f", " ")
    assert "Automatic allocation is off: €30.00 deposit not applied." in page
    assert 'href="#apply-deposit">Apply deposit</a>' in page
    form = response.context["deposit_form"]
    assert [charge.pk for _box, charge in form.rows()] == [charge.pk for charge in charges]


def test_with_automatic_allocation_there_is_no_idle_deposit_to_explain(
    owner_client: Client, account: Account
) -> None:
    ledger.post_charge(account=account, total=40_00, idempotency_key=key(), actor=None)
    ledger.record_top_up(
        account=account, amount=30_00, mode="cash", idempotency_key=key(), actor=None
    )

    response = owner_client.get(_tab(account))

    assert response.context["idle"] is None
    assert response.context["deposit_form"] is None
    assert "Automatic allocation is on" in response.content.decode()


def test_applying_the_deposit_settles_the_ticked_charges_oldest_first_in_one_action(
    owner_client: Client, idle: tuple[Account, list[Charge], Credit]
) -> None:
    account, (first, second, debit_note), credit = idle
    assert debit_note.kind == ChargeKind.DEBIT_NOTE

    response = owner_client.post(
        _apply_url(account),
        {"charges": [str(debit_note.pk), str(second.pk)], "idempotency_key": key()},
    )

    assert response.status_code == 302
    for charge in (first, second, debit_note):
        charge.refresh_from_db()
    assert (second.open_amount, second.status) == (0, ChargeStatus.PAID)
    assert (debit_note.open_amount, debit_note.status) == (5_00, ChargeStatus.PARTIALLY_PAID)
    assert first.open_amount == 40_00  # not ticked
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (-45_00, 45_00, 0)
    credit.refresh_from_db()
    assert credit.unapplied_amount == 0
    event = AuditEvent.objects.get(action="payments.deposit.applied")
    assert event.data == {"amount": 30_00, "charges": [second.pk, debit_note.pk]}


def test_the_apply_deposit_form_posted_twice_applies_once(
    owner_client: Client, idle: tuple[Account, list[Charge], Credit]
) -> None:
    account, charges, _ = idle
    data = {"charges": [str(charge.pk) for charge in charges], "idempotency_key": key()}
    owner_client.post(_apply_url(account), data)
    after_first = database_snapshot()

    second = owner_client.post(_apply_url(account), data)

    assert second.status_code == 302
    assert database_snapshot() == after_first
    assert Allocation.objects.filter(charge__account=account).count() == 1


@pytest.mark.parametrize("kind", ["none_ticked", "other_account", "nothing_left"])
def test_a_refused_application_writes_nothing(
    owner_client: Client, idle: tuple[Account, list[Charge], Credit], manual: Shop, kind: str
) -> None:
    account, charges, credit = idle
    chosen = [str(charges[0].pk)]
    if kind == "none_ticked":
        chosen = []
    elif kind == "other_account":
        other = make_account(manual, credit_limit=None)
        chosen = [
            str(ledger.post_charge(account=other, total=5_00, idempotency_key=key(), actor=None).pk)
        ]
    else:
        ledger.reverse_entry(
            entry=credit.entry, reason="Bounced", idempotency_key=key(), actor=None
        )
    before = database_snapshot()

    response = owner_client.post(_apply_url(account), {"charges": chosen, "idempotency_key": key()})

    assert response.status_code == 400
    assert list(response.context["deposit_form"].errors) == ["charges"]
    assert database_snapshot() == before


def test_applying_a_deposit_needs_the_payments_permission(
    client_as, idle: tuple[Account, list[Charge], Credit], shop: Shop
) -> None:  # type: ignore[no-untyped-def]
    from ardoise.shops.models import Role

    account, charges, _ = idle
    Role.objects.filter(shop=shop, kind=RoleKind.ASSOCIATE).update(permissions=["customers.view"])
    associate = client_as(RoleKind.ASSOCIATE)
    before = database_snapshot()

    response = associate.post(
        _apply_url(account), {"charges": [str(charges[0].pk)], "idempotency_key": key()}
    )

    assert response.status_code == 403
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("automatic", "sentence"),
    [
        (True, "it settles the oldest open charges first"),
        (False, "automatic allocation is off, so it stays as a deposit"),
    ],
)
def test_the_payment_form_says_what_the_shops_setting_will_do(
    owner_client: Client, account: Account, shop: Shop, automatic: bool, sentence: str
) -> None:
    shop.auto_allocate = automatic
    shop.save(update_fields=["auto_allocate"])

    response = owner_client.get(
        reverse("staff:customer_movement", args=[account.customer_id, "payment"])
    )

    assert sentence in response.context["explanation"]


def test_the_credit_accounts_list_says_why_a_deposit_sits_beside_a_debt(
    owner_client: Client, idle: tuple[Account, list[Charge], Credit], account: Account
) -> None:
    idle_account, _, _ = idle

    html = owner_client.get(reverse("staff:credit_account_list")).content.decode()

    assert html.count('data-testid="idle-deposit"') == 1
    assert "not applied: automatic allocation is off" in html
    assert f'href="{_tab(idle_account)}#idle-deposit"' in html
