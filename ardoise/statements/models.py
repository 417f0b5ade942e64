"""Statements: numbered snapshots of what a customer owes, their send log and bulk runs.

A statement copies, at one moment, every open charge and unapplied credit of an account into its
lines, with its totals and the balance, all stored: it never changes afterwards, so what was sent
is what the shop sees later. Numbers are gap-free per shop: a counter row is incremented in the
same transaction that writes the statement. A payment link is a random token shown once (in the
email) and stored hashed, for one statement, until it expires.

A send (one email of one statement) moves queued -> sending -> sent | failed, claimed by a
conditional UPDATE, so a task that runs twice sends once. A bulk run has one item per account,
claimed the same way: a run interrupted and run again sends each customer one statement.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy


class StatementCounter(models.Model):
    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "statements_counter"

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.last_number}"


class Statement(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="statements"
    )
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    currency = models.CharField(max_length=3)
    language = models.CharField(max_length=8)
    # The customer as addressed on this statement.
    customer_name = models.CharField(max_length=200)
    customer_address = models.TextField(blank=True)
    customer_email = models.EmailField(blank=True)
    # Figures at that moment, rounded once and stored (DESIGN.md rule 1).
    total_charges = models.BigIntegerField()
    total_credits = models.BigIntegerField()
    balance = models.BigIntegerField()
    amount_due = models.BigIntegerField()
    credit_limit = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120)

    class Meta:
        db_table = "statements_statement"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "number"], name="statements_unique_number"),
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"], name="statements_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(amount_due__gte=0), name="statements_amount_due_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["shop", "customer", "issued_at"], name="statement_cust")]

    def __str__(self) -> str:
        return f"Statement {self.number}"

    @property
    def payment_reference(self) -> str:
        """The reference of this statement's online checkouts."""
        return f"statement:{self.pk}"


class LineKind(models.TextChoices):
    CHARGE = "charge", pgettext_lazy("statement line kind", "Charge")
    CREDIT = "credit", pgettext_lazy("statement line kind", "Credit")


class StatementLine(models.Model):
    """One open charge (amount due) or unapplied credit (amount available), as it stood."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=LineKind.choices)
    charge = models.ForeignKey(
        "ledger.Charge", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit = models.ForeignKey(
        "ledger.Credit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    document_kind = models.CharField(max_length=20)
    reference = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    total = models.BigIntegerField()
    open_amount = models.BigIntegerField()

    class Meta:
        db_table = "statements_line"
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="statements_line_unique_position"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="charge", charge__isnull=False, credit__isnull=True)
                    | Q(kind="credit", credit__isnull=False, charge__isnull=True)
                ),
                name="statements_line_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.position}"


class StatementLink(models.Model):
    """A payment link: the token's SHA-256, never the token itself."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "statements_link"

    def __str__(self) -> str:
        return f"link {self.pk} of statement {self.statement_id}"


class SendStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("statement send status", "Queued")
    SENDING = "sending", pgettext_lazy("statement send status", "Sending")
    SENT = "sent", pgettext_lazy("statement send status", "Sent")
    FAILED = "failed", pgettext_lazy("statement send status", "Failed")


class StatementSend(models.Model):
    """The send log: one email of one statement to one address."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="sends")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="statement_sends"
    )
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=SendStatus.choices, default=SendStatus.QUEUED)
    reason = models.TextField(blank=True)
    with_payment_link = models.BooleanField(default=False)
    queued_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120)

    class Meta:
        db_table = "statements_send"
        ordering = ["-queued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"], name="statements_send_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["shop", "customer", "queued_at"], name="send_customer")]

    def __str__(self) -> str:
        return f"send {self.pk} ({self.status})"


class RunStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("statement run status", "Queued")
    RUNNING = "running", pgettext_lazy("statement run status", "Running")
    FINISHED = "finished", pgettext_lazy("statement run status", "Finished")


# A worker that has not touched its run (nor an item's claim) for this long has stopped: its run
# reads "interrupted" and its items may be claimed again (see `services._claim_item`).
STALE_AFTER = dt.timedelta(minutes=10)
# A run started within this long of a statement sent to a customer skips that customer unless
# asked to include them (the screens say "24 hours": change both together).
RECENT_STATEMENT = dt.timedelta(hours=24)


class RunState(models.TextChoices):
    """Where a run stands, as a person reads it: a run a worker holds or will pick up is in
    progress; one whose worker stopped before the end is interrupted."""

    IN_PROGRESS = "in_progress", pgettext_lazy("statement run state", "In progress")
    INTERRUPTED = "interrupted", pgettext_lazy("statement run state", "Interrupted")
    FINISHED = "finished", pgettext_lazy("statement run state", "Finished")


class StatementRun(models.Model):
    """A bulk run: statements to every customer who owes at least `minimum_debt`.

    `heartbeat_at` is touched by the worker when it takes the run and after each customer: a
    running run whose heartbeat is older than `STALE_AFTER` has stopped (the worker died or was
    restarted) and reads "interrupted"; a queued one waits for a worker and is in progress.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    minimum_debt = models.BigIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120)

    class Meta:
        db_table = "statements_run"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"], name="statements_run_unique_key"
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    def state(self, now: dt.datetime | None = None) -> str:
        if self.status == RunStatus.FINISHED:
            return RunState.FINISHED
        if self.status == RunStatus.QUEUED:
            return RunState.IN_PROGRESS
        last_sign = self.heartbeat_at or self.started_at or self.created_at
        if last_sign < (now or timezone.now()) - STALE_AFTER:
            return RunState.INTERRUPTED
        return RunState.IN_PROGRESS

    @property
    def is_interrupted(self) -> bool:
        return self.state() == RunState.INTERRUPTED

    @property
    def state_label(self) -> str:
        return str(RunState(self.state()).label)


class ItemStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("statement send status", "Waiting")
    SENDING = "sending", pgettext_lazy("statement send status", "Sending")
    SENT = "sent", pgettext_lazy("statement send status", "Sent")
    FAILED = "failed", pgettext_lazy("statement send status", "Failed")
    SKIPPED = "skipped", pgettext_lazy("statement send status", "Skipped")


class StatementRunItem(models.Model):
    """One customer of a bulk run. Claimed pending|failed -> sending by a conditional UPDATE."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(StatementRun, on_delete=models.CASCADE, related_name="items")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    statement = models.ForeignKey(
        Statement, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    send = models.ForeignKey(
        StatementSend, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "statements_run_item"
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="statements_item_once"),
        ]
        indexes = [models.Index(fields=["run", "status"], name="statement_item_status")]

    def __str__(self) -> str:
        return f"item {self.pk} ({self.status})"
