"""The ledger: customer accounts, the journal, and the documents that move money.

Sign convention: every amount is an integer of minor units, **credit-positive**. A customer
account's balance is positive when the shop owes the customer (prepaid credit) and negative when
the customer owes the shop. A sale on account posts -total to the customer and +net to sales and
+VAT to VAT; a cash payment posts +amount to the customer and -amount to the cash counter account.

Invariants (checked by `manage.py ledger_check`, several also by the database):

- every journal entry has two or more postings that sum to zero;
- journal entries, postings and allocations are append-only (database triggers); a mistake is
  corrected by a reversing entry that points at the original (`JournalEntry.reverses`, unique, so
  an entry is reversed at most once);
- `Account.balance` is the sum of the account's postings and `Account.debt` and
  `Account.deposit` are the sums of its charges' open amounts and its credits' unapplied
  amounts; the database enforces `balance = deposit - debt` on every statement;
- a charge's open amount is its total less what is allocated to it; a credit's unapplied amount
  is its amount less what it has allocated; neither goes below zero;
- a posting that lowers a customer's balance keeps the balance after it and the credit limit in
  force; it leaves the balance at or above -limit unless a staff member overrode the limit or the
  entry is a reversal;
- `Account.reserved` is the sum of the account's held reservations (never below zero). A
  reservation is the part of what a customer can spend that an accepted online order (or its
  open checkout) holds until delivery, cancellation or expiry: it is not a posting and changes
  neither Balance, Debt nor Deposit, but the limit guard counts it
  (`balance + delta - reserved >= -credit_limit`), so one balance cannot pay two orders.

Every write goes through `ledger.services`, which locks the account row first (the guard UPDATE
or `select_for_update`), so all work on one account is serialised on both databases.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ardoise.core.money import MAX_AMOUNT, MAX_BALANCE


def within_bounds(field: str, bound: int, *, signed: bool = False) -> Q:
    """`field` is below `bound` (in absolute value when `signed`) and a whole number.

    The whole-number half means something on SQLite only, where a column of integer affinity
    would keep a REAL such as 12.5; PostgreSQL's bigint cannot hold one anyway.
    """
    whole = Q(**{field: Cast(F(field), models.BigIntegerField())})
    if signed:
        return Q(**{f"{field}__gt": -bound, f"{field}__lt": bound}) & whole
    return Q(**{f"{field}__lt": bound}) & whole


class Account(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="accounts"
    )
    currency = models.CharField(max_length=3, default="EUR")
    balance = models.BigIntegerField(default=0)
    debt = models.BigIntegerField(default=0)
    deposit = models.BigIntegerField(default=0)
    # The sum of held reservations (`Reservation`): not in the balance, counted by the guard.
    reserved = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)
    credit_limit = models.BigIntegerField(null=True, blank=True)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_account"
        constraints = [
            models.CheckConstraint(
                condition=within_bounds("debt", MAX_BALANCE)
                & within_bounds("deposit", MAX_BALANCE)
                & within_bounds("balance", MAX_BALANCE, signed=True),
                name="ledger_account_figures_bounded",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | within_bounds("credit_limit", MAX_AMOUNT),
                name="ledger_account_limit_bounded",
            ),
            models.CheckConstraint(
                condition=within_bounds("reserved", MAX_BALANCE) & Q(reserved__gte=0),
                name="ledger_account_reserved_bounded",
            ),
            models.UniqueConstraint(
                fields=["shop", "customer", "currency"], name="ledger_account_one_per_currency"
            ),
            models.CheckConstraint(
                condition=Q(balance=F("deposit") - F("debt")),
                name="ledger_account_balance_is_deposit_less_debt",
            ),
            models.CheckConstraint(
                condition=Q(debt__gte=0) & Q(deposit__gte=0), name="ledger_account_overview_sign"
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="ledger_account_limit_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "balance"], name="ledger_account_shop_balance"),
        ]

    def __str__(self) -> str:
        return f"Account {self.pk} ({self.currency})"

    @property
    def available_credit(self) -> int | None:
        """What may still be charged: balance plus limit, less what reservations hold; None when
        there is no limit."""
        if self.credit_limit is None:
            return None
        return max(self.balance + self.credit_limit - self.reserved, 0)

    @property
    def used_credit(self) -> int:
        return max(-self.balance, 0)

    @property
    def is_over_limit(self) -> bool:
        return self.credit_limit is not None and self.balance < -self.credit_limit


class EntryKind(models.TextChoices):
    SALE = "sale", _("Sale on account")
    DEBIT_NOTE = "debit_note", _("Debit adjustment")
    PAYMENT = "payment", _("Payment")
    TOP_UP = "top_up", _("Top-up")
    CREDIT_NOTE = "credit_note", _("Credit note")
    CREDIT_ADJUSTMENT = "credit_adjustment", _("Credit adjustment")
    REVERSAL = "reversal", _("Reversal")


class JournalEntry(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    memo = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    limit_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "ledger_journal_entry"
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Posting(models.Model):
    """One line of a journal entry: either on a customer account or on a counter account."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="postings"
    )
    counter = models.CharField(max_length=60, blank=True)
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField(null=True, blank=True)
    credit_limit = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        db_table = "ledger_posting"
        constraints = [
            models.CheckConstraint(
                condition=within_bounds("amount", MAX_AMOUNT, signed=True)
                & (
                    Q(balance_after__isnull=True)
                    | within_bounds("balance_after", MAX_BALANCE, signed=True)
                ),
                name="ledger_posting_bounded",
            ),
            models.CheckConstraint(
                condition=(
                    Q(account__isnull=False, counter="", balance_after__isnull=False)
                    | (Q(account__isnull=True, balance_after__isnull=True) & ~Q(counter=""))
                ),
                name="ledger_posting_one_side",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_posting_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at", "id"], name="ledger_posting_activity"),
            models.Index(fields=["shop", "counter", "occurred_at"], name="ledger_posting_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id or self.counter}: {self.amount}"


class ChargeKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    DEBIT_NOTE = "debit_note", _("Debit note")


class ChargeStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("charge status", "Pending")
    PARTIALLY_PAID = "partially_paid", pgettext_lazy("charge status", "Partially paid")
    PAID = "paid", pgettext_lazy("charge status", "Paid")
    VOID = "void", pgettext_lazy("charge status", "Void")


class Charge(models.Model):
    """What raises what the customer owes: a sale on account or a debit note."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="charges")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="charge")
    kind = models.CharField(max_length=20, choices=ChargeKind.choices)
    reference = models.CharField(max_length=60, blank=True)
    description = models.TextField(blank=True)
    earmark = models.CharField(max_length=60, blank=True)
    issued_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    net_amount = models.BigIntegerField()
    vat_amount = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    open_amount = models.BigIntegerField()
    credited_amount = models.BigIntegerField(default=0)
    credited_vat_amount = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=ChargeStatus.choices, default=ChargeStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Not a column: the account's balance just after this charge, set by `ledger.post_charge`
    # on the charge it has just posted (the guarded UPDATE returned it), so that a caller that
    # shows it reads nothing more. Elsewhere it is None: read it from the charge's posting.
    balance_after: int | None = None

    class Meta:
        db_table = "ledger_charge"
        ordering = ["issued_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=within_bounds("total", MAX_AMOUNT)
                & within_bounds("open_amount", MAX_AMOUNT)
                & within_bounds("net_amount", MAX_AMOUNT, signed=True)
                & within_bounds("vat_amount", MAX_AMOUNT, signed=True),
                name="ledger_charge_bounded",
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="ledger_charge_total_positive"),
            models.CheckConstraint(
                condition=Q(total=F("net_amount") + F("vat_amount")), name="ledger_charge_totals"
            ),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0) & Q(open_amount__lte=F("total")),
                name="ledger_charge_open_in_range",
            ),
            models.CheckConstraint(
                condition=Q(credited_amount__gte=0) & Q(credited_amount__lte=F("total")),
                name="ledger_charge_credited_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "issued_on", "id"],
                condition=Q(open_amount__gt=0),
                name="ledger_charge_open",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Charge {self.pk}"

    @property
    def paid_amount(self) -> int:
        return self.total - self.open_amount if self.status != ChargeStatus.VOID else 0

    @property
    def creditable_amount(self) -> int:
        """What a credit note may still refund."""
        return 0 if self.status == ChargeStatus.VOID else self.total - self.credited_amount


class CreditKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    TOP_UP = "top_up", _("Top-up")
    CREDIT_NOTE = "credit_note", _("Credit note")
    ADJUSTMENT = "adjustment", _("Credit adjustment")


class CreditStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("credit status", "Active")
    VOID = "void", pgettext_lazy("credit status", "Void")


class Credit(models.Model):
    """What lowers what the customer owes: a payment, a top-up, a credit note, an adjustment.

    A credit note refunds part of a charge: `amount` goes back to the customer's account and
    `payout_amount` is paid out by `payout_mode` (cash, card...). `amount` may be zero when the
    whole refund was paid out.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="credits")
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="credit")
    kind = models.CharField(max_length=20, choices=CreditKind.choices)
    mode = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=60, blank=True)
    reason = models.TextField(blank=True)
    earmark = models.CharField(max_length=60, blank=True)
    received_on = models.DateField()
    amount = models.BigIntegerField()
    unapplied_amount = models.BigIntegerField()
    against_charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    vat_amount = models.BigIntegerField(default=0)
    payout_amount = models.BigIntegerField(default=0)
    payout_mode = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=20, choices=CreditStatus.choices, default=CreditStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_credit"
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=within_bounds("amount", MAX_AMOUNT)
                & within_bounds("unapplied_amount", MAX_AMOUNT),
                name="ledger_credit_bounded",
            ),
            models.CheckConstraint(
                condition=(
                    Q(amount__gte=0, payout_amount__gte=0)
                    & (Q(amount__gt=0) | Q(payout_amount__gt=0))
                ),
                name="ledger_credit_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(unapplied_amount__gte=0) & Q(unapplied_amount__lte=F("amount")),
                name="ledger_credit_unapplied_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "id"],
                condition=Q(unapplied_amount__gt=0),
                name="ledger_credit_unapplied",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Credit {self.pk}"

    @property
    def total(self) -> int:
        return self.amount + self.payout_amount


class Allocation(models.Model):
    """ "This credit settles this much of that charge" (lettrage). Negative rows unallocate."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    credit = models.ForeignKey(Credit, on_delete=models.PROTECT, related_name="allocations")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_allocation"
        constraints = [
            models.CheckConstraint(
                condition=within_bounds("amount", MAX_AMOUNT, signed=True),
                name="ledger_allocation_bounded",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_allocation_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.credit_id} -> {self.charge_id}: {self.amount}"


class ReservationStatus(models.TextChoices):
    HELD = "held", pgettext_lazy("reservation status", "Held")
    CONSUMED = "consumed", pgettext_lazy("reservation status", "Charged")
    RELEASED = "released", pgettext_lazy("reservation status", "Released")


class Reservation(models.Model):
    """Part of what a customer can spend, held for `reference` ("order:12", "checkout:7").

    Written only by `ledger.services.reservations`: `reserve` raises `Account.reserved` by one
    guarded UPDATE of the account row and writes this row, held; `release` (cancelled, declined,
    expired) and `consume` (the order is delivered: its charge takes the place of the hold) close
    it and lower `Account.reserved` by its amount. At most one held reservation per reference.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="reservations")
    amount = models.BigIntegerField()
    reference = models.CharField(max_length=60)
    status = models.CharField(
        max_length=12, choices=ReservationStatus.choices, default=ReservationStatus.HELD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ledger_reservation"
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=within_bounds("amount", MAX_AMOUNT) & Q(amount__gt=0),
                name="ledger_reservation_bounded",
            ),
            models.UniqueConstraint(
                fields=["shop", "reference"],
                condition=Q(status="held"),
                name="ledger_reservation_one_held_per_reference",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "id"],
                condition=Q(status="held"),
                name="ledger_reservation_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount} ({self.status})"

    @property
    def is_held(self) -> bool:
        return self.status == ReservationStatus.HELD


class IdempotencyRecord(models.Model):
    """A request key, claimed in the same transaction as the work it protects."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=120)
    operation = models.CharField(max_length=60)
    fingerprint = models.CharField(max_length=64)
    result_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_idempotency"
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="ledger_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.operation}:{self.key}"
