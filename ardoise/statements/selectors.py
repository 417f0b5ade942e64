"""Reads of statements, send logs and bulk runs, always scoped to a shop; the account snapshot."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.customers.models import Customer
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
)
from ardoise.ledger.selectors import open_charges, unapplied_credits
from ardoise.payments.models import BuiltInMode, Checkout, CheckoutStatus
from ardoise.payments.selectors import live_checkout, online_provider_for
from ardoise.shops.models import Shop
from ardoise.statements.models import (
    STALE_AFTER,
    ItemStatus,
    LineKind,
    SendStatus,
    Statement,
    StatementLine,
    StatementRun,
    StatementRunItem,
    StatementSend,
)


def _address_lines(customer: Customer) -> str:
    lines = [customer.name]
    if customer.company:
        lines.append(customer.company)
    lines += [line.strip() for line in customer.address.splitlines() if line.strip()]
    town = f"{customer.postal_code} {customer.city}".strip()
    if town:
        lines.append(town)
    return "\n".join(lines)


def snapshot_account(
    *, account: Account, customer: Customer, when: dt.datetime | None = None
) -> tuple[Statement, list[StatementLine]]:
    """The statement of `account` as it stands now, not saved and not numbered.

    Lines: every open charge (amount due) then every unapplied credit (amount available),
    oldest first. Amount due = charges - credits, never below zero (a customer in credit owes
    nothing). Three queries.
    """
    charges = list(
        open_charges(account).values(
            "id",
            "kind",
            "reference",
            "description",
            "issued_on",
            "due_on",
            "total",
            "open_amount",
        )
    )
    credits = list(
        unapplied_credits(account).values(
            "id",
            "kind",
            "mode",
            "reference",
            "reason",
            "received_on",
            "amount",
            "unapplied_amount",
        )
    )
    total_charges = sum(charge["open_amount"] for charge in charges)
    total_credits = sum(credit["unapplied_amount"] for credit in credits)
    statement = Statement(
        shop_id=account.shop_id,
        account=account,
        customer=customer,
        number=0,
        issued_at=when or timezone.now(),
        currency=account.currency,
        language=customer.language or "fr",
        customer_name=customer.name,
        customer_address=_address_lines(customer),
        customer_email=customer.email,
        total_charges=total_charges,
        total_credits=total_credits,
        balance=account.balance,
        amount_due=max(total_charges - total_credits, 0),
        credit_limit=account.credit_limit,
    )
    # Model instances from ids and values: 500 lines without loading 500 Charge objects.
    lines = [
        StatementLine(
            shop_id=account.shop_id,
            statement=statement,
            position=position,
            kind=LineKind.CHARGE,
            charge_id=charge["id"],
            document_kind=charge["kind"],
            reference=charge["reference"],
            description=charge["description"][:200],
            issued_on=charge["issued_on"],
            due_on=charge["due_on"],
            total=charge["total"],
            open_amount=charge["open_amount"],
        )
        for position, charge in enumerate(charges, start=1)
    ]
    # A statement paid online reads "Statement No. 3 paid online" in this document's language
    # (older payments kept the checkout's internal reference, "statement:1").
    online = [credit["id"] for credit in credits if credit["mode"] == BuiltInMode.ONLINE]
    with translation.override(statement.language):
        labels = online_payment_labels(account.shop_id, online) if online else {}
    lines += [
        StatementLine(
            shop_id=account.shop_id,
            statement=statement,
            position=position,
            kind=LineKind.CREDIT,
            credit_id=credit["id"],
            document_kind=credit["kind"],
            reference=labels.get(credit["id"], credit["reference"])[:60],
            description=credit["reason"][:200],
            issued_on=credit["received_on"],
            total=credit["amount"],
            open_amount=credit["unapplied_amount"],
        )
        for position, credit in enumerate(credits, start=len(charges) + 1)
    ]
    return statement, lines


def statements_for_shop(shop_id: int) -> QuerySet[Statement]:
    return Statement.objects.filter(shop_id=shop_id)


def sends_for_customer(shop_id: int, customer_id: int) -> QuerySet[StatementSend]:
    """The send log of one customer, newest first."""
    return StatementSend.objects.filter(shop_id=shop_id, customer_id=customer_id).select_related(
        "statement"
    )


def runs_for_shop(shop_id: int) -> QuerySet[StatementRun]:
    return StatementRun.objects.filter(shop_id=shop_id).annotate(
        item_count=Count("items"),
        sent_count=Count("items", filter=Q(items__status=ItemStatus.SENT)),
        failed_count=Count("items", filter=Q(items__status=ItemStatus.FAILED)),
    )


@dataclass(frozen=True)
class RunProgress:
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    skipped: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.done * 100 // self.total


def run_progress(run: StatementRun) -> RunProgress:
    counts = dict(
        StatementRunItem.objects.filter(run=run)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return RunProgress(
        total=sum(counts.values()),
        pending=counts.get(ItemStatus.PENDING, 0),
        sending=counts.get(ItemStatus.SENDING, 0),
        sent=counts.get(ItemStatus.SENT, 0),
        failed=counts.get(ItemStatus.FAILED, 0),
        skipped=counts.get(ItemStatus.SKIPPED, 0),
    )


def run_problems(run: StatementRun) -> QuerySet[StatementRunItem]:
    """Items a person should look at: failed, skipped, or left sending by a stopped worker (a
    claim older than `STALE_AFTER`; one a worker holds now is not a problem, it is being sent)."""
    stale = Q(status=ItemStatus.SENDING, claimed_at__lt=timezone.now() - STALE_AFTER)
    return (
        StatementRunItem.objects.filter(run=run)
        .filter(Q(status__in=[ItemStatus.FAILED, ItemStatus.SKIPPED]) | stale)
        .select_related("account__customer")
        .order_by("id")
    )


# Why an item was skipped, as stored (plain words, for the log) and as a person reads it.
SKIP_NO_EMAIL = "no email address"
SKIP_OWES_NOTHING = "owes nothing now"
SKIP_RECENT = "sent a statement in the last 24 hours"
REASON_LABELS: dict[str, StrOrPromise] = {
    SKIP_NO_EMAIL: _("No email address."),
    SKIP_OWES_NOTHING: _("Owes nothing now."),
    SKIP_RECENT: _("Was sent a statement in the last 24 hours."),
}


def recently_sent_account_ids(shop_id: int, *, since: dt.datetime) -> set[int]:
    """Accounts that were sent a statement since `since`, or will be: an email queued, being
    sent or sent (alone or by a run), or a customer a run started since then still holds."""
    sent = StatementSend.objects.filter(shop_id=shop_id, queued_at__gte=since).exclude(
        status=SendStatus.FAILED
    )
    waiting = StatementRunItem.objects.filter(
        shop_id=shop_id,
        run__created_at__gte=since,
        status__in=[ItemStatus.PENDING, ItemStatus.SENDING, ItemStatus.SENT],
    )
    return set(sent.values_list("statement__account_id", flat=True)) | set(
        waiting.values_list("account_id", flat=True)
    )


def latest_run_since(shop_id: int, *, since: dt.datetime) -> StatementRun | None:
    return StatementRun.objects.filter(shop_id=shop_id, created_at__gte=since).first()


class PaymentState:
    PAYABLE = "payable"
    PENDING = "pending"
    PAID = "paid"
    SETTLED = "settled"
    NOTHING_DUE = "nothing_due"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class StatementPayment:
    """Where a statement stands for paying online, and what a payment did."""

    state: str
    message: StrOrPromise
    checkout: Checkout | None = None
    amount: int = 0  # what paying online charges now (never more than is still owed)
    paid_amount: int = 0
    applied_to_statement: int = 0
    applied_elsewhere: int = 0
    left_as_credit: int = 0

    @property
    def can_pay(self) -> bool:
        return self.state in {PaymentState.PAYABLE, PaymentState.PENDING}


def _statement_charge_ids(statement: Statement) -> list[int]:
    return [
        pk
        for pk in statement.lines.filter(kind=LineKind.CHARGE).values_list("charge_id", flat=True)
        if pk is not None
    ]


def amount_still_due(statement: Statement) -> int:
    """What the statement's invoices still owe now, less its credits still unapplied: at most
    the statement's amount due. A part paid in person since it was issued is not asked again,
    and an invoice another statement got paid is not paid twice. Three queries."""
    lines = list(statement.lines.values_list("kind", "charge_id", "credit_id"))
    charge_ids = [charge for kind, charge, _ in lines if kind == LineKind.CHARGE and charge]
    credit_ids = [credit for kind, _, credit in lines if kind == LineKind.CREDIT and credit]
    owed = (
        Charge.objects.filter(pk__in=charge_ids)
        .exclude(status=ChargeStatus.VOID)
        .aggregate(total=Sum("open_amount"))["total"]
        or 0
    )
    held = (
        Credit.objects.filter(pk__in=credit_ids, status=CreditStatus.ACTIVE).aggregate(
            total=Sum("unapplied_amount")
        )["total"]
        or 0
    )
    return max(0, min(statement.amount_due, owed - held))


def payment_state(statement: Statement) -> StatementPayment:
    checkout = live_checkout(shop_id=statement.shop_id, reference=statement.payment_reference)
    if checkout is not None and checkout.status == CheckoutStatus.APPROVED:
        return _paid(statement, checkout)
    if statement.amount_due == 0:
        return StatementPayment(PaymentState.NOTHING_DUE, _("Nothing is due on this statement."))
    due = checkout.amount if checkout is not None else amount_still_due(statement)
    if due == 0:
        return StatementPayment(
            PaymentState.SETTLED,
            _("The invoices on this statement have been paid since it was sent. Thank you."),
        )
    shop = Shop.objects.get(pk=statement.shop_id)
    if due > shop.online_payment_max:
        return StatementPayment(
            PaymentState.TOO_LARGE,
            _(
                "This amount is above what can be paid online. Please contact the shop to pay "
                "it another way."
            ),
        )
    if online_provider_for(statement.shop_id) is None:
        return StatementPayment(
            PaymentState.UNAVAILABLE, _("This shop does not take payments online.")
        )
    if checkout is not None:
        return StatementPayment(
            PaymentState.PENDING,
            _("A payment has been started for this statement."),
            checkout,
            amount=due,
        )
    return StatementPayment(
        PaymentState.PAYABLE, _("You can pay this statement online."), amount=due
    )


def _paid(statement: Statement, checkout: Checkout) -> StatementPayment:
    charge_ids = set(_statement_charge_ids(statement))
    to_statement = elsewhere = 0
    left = 0
    if checkout.credit_id is not None:
        rows = (
            Allocation.objects.filter(credit_id=checkout.credit_id)
            .values_list("charge_id")
            .annotate(total=Sum("amount"))
            .values_list("charge_id", "total")
        )
        for charge_id, total in rows:
            if charge_id in charge_ids:
                to_statement += total
            else:
                elsewhere += total
        left = checkout.amount - to_statement - elsewhere
    if to_statement == checkout.amount:
        message = _("This statement is paid. Thank you.")
    else:
        message = _(
            "This statement is paid. Part of the invoices had already been paid in the "
            "meantime: what was not needed for them has been applied to your other invoices "
            "or kept as credit on your account."
        )
    return StatementPayment(
        PaymentState.PAID,
        message,
        checkout=checkout,
        paid_amount=checkout.amount,
        applied_to_statement=to_statement,
        applied_elsewhere=elsewhere,
        left_as_credit=left,
    )


# --- Human labels for online payments -----------------------------------------------------------


def online_payment_label(number: int, *, language: str | None = None) -> str:
    """ "Statement No. 3 paid online", in `language` (the active language by default)."""
    if language is None:
        return gettext("Statement No. %(number)s paid online") % {"number": number}
    with translation.override(language):
        return gettext("Statement No. %(number)s paid online") % {"number": number}


def online_payment_labels(shop_id: int, credit_ids: Iterable[int]) -> dict[int, str]:
    """The human label of each credit that is a statement paid online, in the active language.

    A checkout's reference (`statement:<id>`) is internal: readers get the statement's number.
    Two queries, whatever the number of credits; credits paid otherwise are not in the result.
    """
    ids = list(credit_ids)
    if not ids:
        return {}
    checkouts = list(
        Checkout.objects.filter(shop_id=shop_id, credit_id__in=ids).values_list(
            "credit_id", "reference"
        )
    )
    statement_ids = {
        int(reference.removeprefix("statement:")): credit_id
        for credit_id, reference in checkouts
        if reference.startswith("statement:") and reference.removeprefix("statement:").isdigit()
    }
    numbers = Statement.objects.filter(shop_id=shop_id, pk__in=statement_ids).values_list(
        "pk", "number"
    )
    return {statement_ids[pk]: online_payment_label(number) for pk, number in numbers}
