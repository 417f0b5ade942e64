"""The Payments page, the sales-by-payment-mode export and the Account tab read the same figures:
over a random ledger of sales, settlements (some dated back), deductions from the account
(explicit, and automatic: a top-up applied to the next sale), top-ups, payments on account,
refunds paid out and reversals, spread over five weeks, their totals by mode agree with each
other and with the money that changed hands."""

import datetime as dt
import io
import random
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Allocation, ChargeStatus, CreditStatus
from ardoise.payments import services as payments
from ardoise.payments.models import PaymentMode, Settlement
from ardoise.shops.models import Shop
from tests.factories import client_for, key, make_account, make_shop, owner_of
from tests.payments.test_money_received import invoice_on, monday_of, noon

pytestmark = pytest.mark.django_db

MONEY_MODES = ["cash", "cheque", "card", "transfer"]
WEEKS = 5


def _when(day: dt.date) -> dt.datetime | None:
    return None if day >= timezone.localdate() else noon(day)


class RandomTill:
    """Plays random business at the till and keeps, apart from the app, what changed hands."""

    def __init__(self, shop: Shop, seed: int) -> None:
        self.shop, self.random = shop, random.Random(seed)
        self.today = timezone.localdate()
        self.first_day = monday_of(self.today) - dt.timedelta(weeks=WEEKS - 1)
        self.accounts: list[Account] = [make_account(shop, name=f"Client {n}") for n in range(3)]
        self.invoices: list[Invoice] = []
        self.settlements: list[tuple[Settlement, str, int]] = []  # (row, mode, counted amount)
        self.moved: Counter[str] = Counter()  # mode: money in minus money paid out; "account"

    def day(self, after: dt.date | None = None) -> dt.date:
        start = max(after or self.first_day, self.first_day)
        return start + dt.timedelta(days=self.random.randint(0, (self.today - start).days))

    def sale(self) -> None:
        price = f"{self.random.randint(5, 80)}.{self.random.choice(['00', '50', '99'])}"
        self.invoices.append(invoice_on(self.random.choice(self.accounts), self.day(), price))

    def prepaid_sale(self) -> None:
        """A top-up, then a sale on the same account: with automatic allocation, the balance pays
        (part of) the sale, a deduction from the account."""
        account = self.random.choice(self.accounts)
        day, mode = self.day(), self.random.choice(MONEY_MODES)
        amount = self.random.randint(1_00, 50_00)
        ledger.record_top_up(
            account=account,
            amount=amount,
            mode=mode,
            idempotency_key=key(),
            actor=None,
            received_on=day,
            occurred_at=_when(day),
        )
        self.moved[mode] += amount
        price = f"{self.random.randint(5, 80)}.00"
        self.invoices.append(invoice_on(account, self.day(after=day), price))

    def automatic_deductions(self) -> int:
        """What the ledger applied from a prepaid balance to a later sale, by itself: allocations
        of a credit to an invoice posted after it, neither reversed since, outside the explicit
        "account" settlements (counted with them)."""
        settled = {
            (credit_id, row.invoice.charge_id)
            for row in Settlement.objects.filter(shop_id=self.shop.pk, mode="account")
            for credit_id, _part in row.sources
        }
        return sum(
            allocation.amount
            for allocation in Allocation.objects.filter(shop_id=self.shop.pk).select_related(
                "credit", "charge__invoice"
            )
            if hasattr(allocation.charge, "invoice")
            and allocation.charge.created_at > allocation.credit.created_at
            and allocation.credit.status == CreditStatus.ACTIVE
            and allocation.charge.status != ChargeStatus.VOID
            and (allocation.credit_id, allocation.charge_id) not in settled
        )

    def settle(self) -> None:
        if not self.invoices:
            return
        invoice = self.random.choice(self.invoices)
        mode = self.random.choice([*MONEY_MODES, "account"])
        if mode == "account":  # only what the account holds, on what is still owed
            invoice.charge.refresh_from_db()
            account = Account.objects.get(pk=invoice.charge.account_id)
            if not (account.deposit and invoice.charge.open_amount):
                mode = "cash"
        amount = self.random.randint(1_00, 70_00)
        settlement = payments.settle_invoice(
            invoice=invoice,
            mode=mode,
            amount=amount,
            actor=None,
            idempotency_key=key(),
            received_on=self.day(after=invoice.issued_on),
        )
        self.moved[mode] += settlement.amount
        self.settlements.append((settlement, mode, settlement.amount))

    def receive(self) -> None:
        day, mode = self.day(), self.random.choice(MONEY_MODES)
        record = self.random.choice([ledger.record_top_up, ledger.record_payment])
        amount = self.random.randint(1_00, 50_00)
        record(
            account=self.random.choice(self.accounts),
            amount=amount,
            mode=mode,
            idempotency_key=key(),
            actor=None,
            received_on=day,
            occurred_at=_when(day),
        )
        self.moved[mode] += amount

    def refund(self) -> None:
        if not self.invoices:
            return
        invoice = self.random.choice(self.invoices)
        invoice.charge.refresh_from_db()
        charge = invoice.charge
        if charge.creditable_amount <= 0:
            return
        amount = self.random.randint(1, charge.creditable_amount)
        mode = self.random.choice(MONEY_MODES)
        credit = ledger.issue_credit_note(
            charge=charge,
            amount=amount,
            reason="Retour",
            refund_mode=mode,
            idempotency_key=key(),
            actor=None,
            occurred_at=_when(self.day(after=invoice.issued_on)),
        )
        self.moved[mode] -= credit.payout_amount

    def reverse(self) -> None:
        if not self.settlements:
            return
        settlement, mode, amount = self.settlements.pop(
            self.random.randrange(len(self.settlements))
        )
        payments.reverse_settlement(
            settlement=settlement, reason="Erreur", actor=None, idempotency_key=key()
        )
        self.moved[mode] -= amount

    def play(self, steps: int) -> None:
        moves = [self.sale] * 4 + [self.settle] * 4 + [self.receive] * 2 + [self.refund] * 2
        moves += [self.reverse, self.prepaid_sale, self.prepaid_sale]
        for _ in range(steps):
            self.random.choice(moves)()
        self.moved["account"] += self.automatic_deductions()


def _page_totals(client: Client, till: RandomTill) -> tuple[Counter[str], int]:
    by_mode: Counter[str] = Counter()
    total = 0
    for week in range(WEEKS):
        monday = till.first_day + dt.timedelta(weeks=week)
        response = client.get(reverse("staff:payments_week"), {"week": monday.isoformat()})
        assert response.status_code == 200
        by_mode.update(response.context["week"].totals)
        total += response.context["week"].grand_total
    return by_mode, total


def _export_totals(client: Client, till: RandomTill) -> tuple[Counter[str], int]:
    end = monday_of(till.today) + dt.timedelta(days=6)
    response = client.get(
        reverse("exports:sales_by_mode"),
        {"start": till.first_day.isoformat(), "end": end.isoformat()},
    )
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    with translation.override("en"):
        codes = {str(mode.label): mode.code for mode in PaymentMode.objects.for_shop(till.shop.pk)}
    codes["Deducted from the account (not counted)"] = "account"
    by_mode: Counter[str] = Counter()
    total = None
    for label, amount in book.worksheets[0].iter_rows(min_row=2, values_only=True):
        if label == "Total received":
            total = round(amount * 100)
        else:
            by_mode[codes[label]] += round(amount * 100)
    assert total is not None
    return by_mode, total


def _account_tab_totals(client: Client, till: RandomTill) -> tuple[Counter[str], int]:
    end = monday_of(till.today) + dt.timedelta(days=6)
    by_mode: Counter[str] = Counter()
    total = 0
    for account in till.accounts:
        response = client.get(
            reverse("staff:customer_account", args=[account.customer_id]),
            {"start": till.first_day.isoformat(), "end": end.isoformat()},
        )
        by_mode.update(response.context["received"].by_mode)
        total += response.context["received"].total
    return by_mode, total


def _nonzero(counter: Counter[str]) -> dict[str, int]:
    return {mode: amount for mode, amount in counter.items() if amount}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_payments_page_sales_export_and_account_activity_agree_over_a_random_ledger(
    seed: int,
) -> None:
    shop = make_shop(auto_allocate=seed % 2 == 0)
    till = RandomTill(shop, seed)
    till.play(40)
    client = client_for(owner_of(shop))

    page, page_total = _page_totals(client, till)
    export, export_total = _export_totals(client, till)
    tab, tab_total = _account_tab_totals(client, till)

    expected = _nonzero(till.moved)
    money = sum(amount for mode, amount in expected.items() if mode != "account")
    if shop.auto_allocate:  # the random ledger did apply a prepaid balance to a later sale
        assert till.automatic_deductions() > 0
    assert _nonzero(page) == _nonzero(export) == _nonzero(tab) == expected
    assert page_total == export_total == tab_total == money
