"""Payment modes a shop accepts, how each invoice was settled, and online checkouts.

A payment mode is a code the ledger posts to (`mode:<code>` counter account). The built-in modes
are created with every shop; a shop switches them on or off and adds its own ("Titres-restaurant",
"Chèque cadeau"). The mode "account" means "deducted from the customer's account": no money moves,
the invoice is settled from the prepaid balance.

Settlement lives in `payments`, not `invoicing`, because settling an invoice records money (a
payment or allocations through ledger services) by one of the modes this app owns. A settlement
says how an invoice was settled (by mode, or deducted from the account): its money lives in the
ledger (a payment earmarked to the charge, or allocations of existing credits); the row only says
which ledger document it was and, once corrected, which reversal cancelled it. It keeps its
table, `invoicing_settlement`, from before it moved here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BuiltInMode(models.TextChoices):
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Transfer")
    ACCOUNT = "account", _("Customer account")
    ONLINE = "online", _("Online payment")


class PaymentModeQuerySet(models.QuerySet["PaymentMode"]):
    def for_shop(self, shop_id: int) -> "PaymentModeQuerySet":
        return self.filter(shop_id=shop_id)

    def accepted(self) -> "PaymentModeQuerySet":
        return self.filter(is_accepted=True)


class PaymentMode(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="payment_modes")
    code = models.SlugField(_("code"), max_length=30)
    custom_label = models.CharField(_("label"), max_length=60, blank=True)
    is_built_in = models.BooleanField(default=False)
    is_accepted = models.BooleanField(_("accepted"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = PaymentModeQuerySet.as_manager()

    class Meta:
        db_table = "payments_mode"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="payments_mode_unique_code"),
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """Built-in modes are translated; a shop's own modes show the label it typed."""
        if self.is_built_in and self.code in BuiltInMode.values:
            return str(BuiltInMode(self.code).label)
        return self.custom_label or self.code


# --- Settlement ---------------------------------------------------------------------------------


class SettlementStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("settlement status", "Active")
    REVERSED = "reversed", pgettext_lazy("settlement status", "Reversed")


class Settlement(models.Model):
    """How (part of) an invoice was settled: by a payment mode or deducted from the account.

    `amount` is what the customer handed over (or what was deducted from their prepaid balance);
    `applied_amount` is the part that settled this invoice when it was recorded; the difference
    (an over-payment) raised the customer's balance as a credit ("avoir"). `credit` is the ledger
    payment; for the account mode `sources` lists the credits that were allocated, as
    `[[credit_id, amount], ...]`. Corrected only by a reversal, which the row then points at.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        related_name="settlements",
    )
    mode = models.CharField(max_length=30)
    amount = models.BigIntegerField()
    applied_amount = models.BigIntegerField()
    credit = models.OneToOneField(
        "ledger.Credit", null=True, blank=True, on_delete=models.PROTECT, related_name="settlement"
    )
    sources = models.JSONField(default=list, blank=True)
    received_on = models.DateField()
    idempotency_key = models.CharField(max_length=120)
    status = models.CharField(
        max_length=12, choices=SettlementStatus.choices, default=SettlementStatus.ACTIVE
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_reason = models.TextField(blank=True)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "invoicing_settlement"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"], name="invoicing_settlement_unique_key"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0) & models.Q(applied_amount__gte=0),
                name="invoicing_settlement_amounts",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "mode", "status"], name="settlement_cell")]

    def __str__(self) -> str:
        return f"{self.mode} {self.amount}"

    @property
    def overpayment(self) -> int:
        return self.amount - self.applied_amount

    @property
    def is_active(self) -> bool:
        return self.status == SettlementStatus.ACTIVE


# --- Online payment -----------------------------------------------------------------------------


class OnlinePaymentSettings(models.Model):
    """Which provider takes a shop's online payments. No row, or no provider: none is offered."""

    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.CASCADE, related_name="online_payment_settings"
    )
    provider = models.CharField(_("online payment provider"), max_length=30, blank=True)

    class Meta:
        db_table = "payments_online_settings"

    def __str__(self) -> str:
        return f"{self.shop_id}: {self.provider or '-'}"


class CheckoutStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("checkout status", "Waiting for the payment")
    APPROVED = "approved", pgettext_lazy("checkout status", "Paid")
    DECLINED = "declined", pgettext_lazy("checkout status", "Declined")
    # Nobody paid in time (an order's checkout expires, and what its order held is released).
    EXPIRED = "expired", pgettext_lazy("checkout status", "Expired")
    # Its order was cancelled before it was paid.
    CANCELLED = "cancelled", pgettext_lazy("checkout status", "Cancelled")


class CheckoutPurpose(models.TextChoices):
    """What an approved checkout pays (`payments.outcomes` records each)."""

    STATEMENT = "statement", pgettext_lazy("checkout purpose", "Statement")
    ORDER = "order", pgettext_lazy("checkout purpose", "Order")
    TOP_UP = "top_up", pgettext_lazy("checkout purpose", "Top-up")
    BALANCE = "balance", pgettext_lazy("checkout purpose", "Amount owed")


LIVE_CHECKOUT_STATUSES = [CheckoutStatus.PENDING, CheckoutStatus.APPROVED]
# Ended unpaid here: a late approval for these is recorded (not for a declined one).
LATE_STATUSES = (CheckoutStatus.EXPIRED, CheckoutStatus.CANCELLED)
# Ended unpaid here, no payment recorded for it, and opened at the provider: the checkouts still
# asked whether they were paid late (`payments.late`). The predicate of two partial indexes
# below, and the filter of the queries they serve (the same expression, so PostgreSQL sees that
# the index covers them).
CLOSED_UNPAID = models.Q(status__in=LATE_STATUSES, credit__isnull=True) & ~models.Q(
    provider_checkout_id=""
)


class Checkout(models.Model):
    """One attempt to pay `amount` online for `reference` (e.g. "statement:12").

    At most one live (pending or approved) checkout per shop and reference, by a partial unique
    constraint: two tabs share one checkout, and once one is approved no second can start, so a
    reference is paid online at most once. The approval records one ledger payment, keyed by the
    checkout, that settles `charge_ids` first (with `credit_ids` applied to them before it). The
    reference is internal (never shown); `label` is what people read.

    `purpose` says what the payment is for: a statement, an online `order` (the payment is
    earmarked for the order's charge and the order is accepted), a top-up (a prepayment), or the
    whole amount owed. An order's checkout `expires_at`: then it is expired and what its order
    held is released (`payments.orders.expire_checkouts`).
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(
        max_length=12, choices=CheckoutPurpose.choices, default=CheckoutPurpose.STATEMENT
    )
    order = models.ForeignKey(
        "invoicing.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="checkouts",
    )
    provider = models.CharField(max_length=30)
    reference = models.CharField(max_length=60)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    charge_ids = models.JSONField(default=list)
    # Credits the payer was told they could count (a statement's unapplied credits): applied to
    # `charge_ids` with the payment, so every charge paid for is paid.
    credit_ids = models.JSONField(default=list)
    # What people read for this payment ("Statement No. 3 paid online"): the credit's reference.
    label = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=20, choices=CheckoutStatus.choices, default=CheckoutStatus.PENDING
    )
    provider_checkout_id = models.CharField(max_length=120, blank=True)
    redirect_url = models.URLField(max_length=500, blank=True)
    return_url = models.URLField(max_length=500)
    credit = models.OneToOneField(
        "ledger.Credit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Why the provider could not open it (a timeout, an error answer): shown on the owner's
    # reconciliation page; the checkout is then declined and nothing was recorded.
    provider_error = models.CharField(max_length=200, blank=True)
    # When a customer's page last asked the provider about this checkout (`payments.handling.
    # refresh_live_checkout`): one conditional UPDATE of it lets one page view in
    # `PAGE_ASKS_EVERY` ask, across workers and servers. NULL: no page has asked yet (or the
    # payer was sent to the provider's page again), so the next view asks at once.
    last_asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_checkout"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "reference"],
                condition=models.Q(status__in=LIVE_CHECKOUT_STATUSES),
                name="payments_checkout_one_live_per_reference",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_checkout_id"],
                condition=~models.Q(provider_checkout_id=""),
                name="payments_checkout_unique_provider_id",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payments_checkout_amount_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(purpose="order", order__isnull=False)
                | (~models.Q(purpose="order") & models.Q(order__isnull=True)),
                name="payments_checkout_order_iff_purpose",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=models.Q(status="pending", expires_at__isnull=False),
                name="payments_checkout_expiring",
            ),
            # The reconciliation's "ended unpaid here in the last LATE_ASKED_FOR"
            # (`reconciliation._ask_closed`: status, no credit, completed_at >= now - 2 h, has a
            # provider id): a range scan of the last two hours instead of the whole table.
            models.Index(
                fields=["completed_at"],
                condition=CLOSED_UNPAID,
                name="payments_checkout_closed_at",
            ),
            # The same rows for one reference, read on every view of the customer's return,
            # statement and order pages (`late.latest_closed`, by `handling.
            # refresh_live_checkout`). The live one of a reference (`selectors.live_checkout`)
            # is found by the partial unique constraint `payments_checkout_one_live_per_reference`.
            models.Index(
                fields=["shop", "reference"],
                condition=CLOSED_UNPAID,
                name="payments_checkout_closed_ref",
            ),
            # The reconciliation's pending checkouts opened between 7 days and 5 minutes ago, and
            # those whose opening never came back (`reconciliation.reconcile`): the pending rows
            # only, by age.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="pending"),
                name="payments_checkout_pending_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference} {self.status}"


class ProviderEvent(models.Model):
    """An inbound confirmation or webhook, stored raw before it is handled.

    Unique per provider and event id: a replayed event finds its row and changes nothing more.
    Not scoped by shop at arrival (a provider speaks for the platform); `shop` is filled once the
    event is matched to a checkout.
    """

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=120)
    payload = models.TextField()
    signature = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    shop = models.ForeignKey(
        "shops.Shop", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checkout = models.ForeignKey(
        Checkout, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    # What the provider said, once verified: the checkout it names and, when it says it (or when
    # its API was read for it), the status, amount (minor units) and currency. A SumUp
    # notification names a checkout only: its status is read from the API before handling.
    provider_checkout_id = models.CharField(max_length=120, blank=True)
    reported_status = models.CharField(max_length=20, blank=True)
    reported_amount = models.BigIntegerField(null=True, blank=True)
    reported_currency = models.CharField(max_length=3, blank=True)

    class Meta:
        db_table = "payments_provider_event"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"], name="payments_event_unique_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


# --- Provider accounts and refunds --------------------------------------------------------------


class ProviderCode(models.TextChoices):
    SUMUP = "sumup", "SumUp"
    STRIPE = "stripe", "Stripe"


class ProviderAccount(models.Model):
    """A shop's credentials at one real payment provider. Present: the provider is on offer.

    `api_key` and `webhook_secret` hold Fernet tokens (`core.encryption`), never the secrets
    themselves; they are decrypted only to call the provider or verify a notification, and are
    never shown again once saved. `webhook_key` is the random part of the shop's webhook address
    (`/p/webhooks/<provider>/<shop id>/<webhook_key>/`), so that the address names the account
    whose signing secret verifies what arrives there.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=30, choices=ProviderCode.choices)
    api_key = models.TextField()
    merchant_code = models.CharField(max_length=40, blank=True)
    webhook_secret = models.TextField(blank=True)
    webhook_key = models.CharField(max_length=64)
    saved_at = models.DateTimeField(auto_now=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_provider_account"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "provider"], name="payments_provider_account_one_per_shop"
            ),
        ]

    def __str__(self) -> str:  # never the secrets
        return f"{self.shop_id}: {self.provider}"

    def __repr__(self) -> str:
        return f"<ProviderAccount {self.shop_id}:{self.provider}>"

    @property
    def has_webhook_secret(self) -> bool:
        return bool(self.webhook_secret)


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("refund status", "Asked of the provider")
    CONFIRMED = "confirmed", pgettext_lazy("refund status", "Refunded")
    REFUSED = "refused", pgettext_lazy("refund status", "Refused by the provider")


OPEN_REFUND_STATUSES = [RefundStatus.REQUESTED]


class ProviderRefund(models.Model):
    """A refund of a sale paid online, given back through the provider that took the payment.

    Asked in the back office; the provider is called after the row is committed, and the credit
    note (`credit`) is issued through the ledger only once the provider confirms: `amount` of
    the sale is refunded, `payout` of it to the payer's card, the rest (`amount - payout`, the
    unpaid part) to the account. One open refund per sale at a time (partial unique
    constraint), so two clicks or two tabs cannot send two.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="refunds")
    charge = models.ForeignKey("ledger.Charge", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    payout = models.BigIntegerField()
    reason = models.TextField()
    idempotency_key = models.CharField(max_length=120)
    status = models.CharField(
        max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    provider_refund_id = models.CharField(max_length=120, blank=True)
    # When the provider was asked: set by one conditional UPDATE before the call, so a refund
    # is sent once even if its task runs twice; after that it is only ever read back.
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=200, blank=True)
    credit = models.OneToOneField(
        "ledger.Credit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payments_provider_refund"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"], name="payments_refund_unique_key"
            ),
            models.UniqueConstraint(
                fields=["shop", "charge"],
                condition=models.Q(status__in=OPEN_REFUND_STATUSES),
                name="payments_refund_one_open_per_charge",
            ),
            models.CheckConstraint(
                condition=models.Q(payout__gt=0) & models.Q(amount__gte=models.F("payout")),
                name="payments_refund_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.payout} of {self.checkout_id} {self.status}"
