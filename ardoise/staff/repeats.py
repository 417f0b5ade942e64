"""A money form sent again with a fresh key: asked, not recorded twice.

Every money form carries the idempotency key made when its page was drawn, so the same page sent
twice (a double click, a page restored by the browser's back/forward cache) gives the first
result. But Back after the confirmation does not always restore the page: the browser may fetch
it again (a page evicted from the cache, another browser, a form opened again by hand), and the
page drawn then carries a new key. Sent again, it would record the same payment a second time.

So before a money form is recorded, the view looks for a twin: the same write (same account or
invoice, same amount, same mode or reason, same lines), made by the same staff member within
`WINDOW`, under another key. If there is one, nothing is written: the form comes back with the
question ("A payment of 20,00 € (Cash) was recorded for this customer 30 seconds ago. Record
another one?") and a box to tick. Ticked, the form is recorded: two customers paying 20 € each
are two accounts, and one customer paying twice says so in one click.

The key decides first: a key already used is the same page sent again, which the service answers
with its first result (`was_sent`: the view then says it was already recorded).

The money form pages also stay restorable by the browser (`restorable`): `Cache-Control:
private, no-cache`, never `no-store`. With `no-store` (Django's `never_cache`) Chromium keeps
the page out of its back/forward cache and Back fetches it again with a new key; without it,
Back restores the page as it was, key included, and sending it again gives the first result.
`private` keeps shared caches from storing a signed-in page; `no-cache` has every ordinary visit
drawn afresh. The question above is what holds when the browser does not restore the page.

The window, the confirming field, `ago` and `restorable` are shared with the portal's money forms
(`core.repeats`, `portal.repeats`).
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django import forms
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.core.money import format_money
from ardoise.core.repeats import CONFIRM_FIELD as CONFIRM_FIELD
from ardoise.core.repeats import WINDOW as WINDOW
from ardoise.core.repeats import ago as ago
from ardoise.core.repeats import restorable as restorable
from ardoise.invoicing.models import Invoice, Order, OrderStatus
from ardoise.invoicing.totals import LineInput
from ardoise.ledger.models import (
    Account,
    Charge,
    ChargeKind,
    ChargeStatus,
    Credit,
    CreditKind,
    CreditStatus,
    IdempotencyRecord,
)
from ardoise.payments.models import ProviderRefund, RefundStatus, Settlement, SettlementStatus
from ardoise.statements.sales_documents import mode_labels

ALREADY_RECORDED = _("Already recorded: this form had been sent before. Nothing new was recorded.")

User = AbstractBaseUser | AnonymousUser
M = TypeVar("M", bound=Model)

_QUESTIONS = {
    "payment": _(
        "A payment of %(amount)s (%(mode)s) was recorded for this customer %(ago)s ago. "
        "Record another one?"
    ),
    "top-up": _(
        "A top-up of %(amount)s (%(mode)s) was recorded for this customer %(ago)s ago. "
        "Record another one?"
    ),
    "debit": _(
        "A debit adjustment of %(amount)s with the same reason was recorded for this customer "
        "%(ago)s ago. Record another one?"
    ),
    "credit": _(
        "A credit adjustment of %(amount)s with the same reason was recorded for this customer "
        "%(ago)s ago. Record another one?"
    ),
    "sale": _(
        "A sale of %(amount)s with the same lines was recorded for this customer %(ago)s ago. "
        "Record another one?"
    ),
    "settlement": _(
        "A settlement of %(amount)s (%(mode)s) was recorded for this invoice %(ago)s ago. "
        "Record another one?"
    ),
    "refund": _(
        "A refund of %(amount)s was recorded for this invoice %(ago)s ago. Record another one?"
    ),
}


@dataclass(frozen=True)
class Twin:
    """A write identical to the one asked for, made a moment ago."""

    kind: str  # a key of _QUESTIONS
    amount: int
    currency: str
    at: dt.datetime
    mode: str = ""  # the mode's label, for the kinds that have one

    def question(self) -> str:
        return str(_QUESTIONS[self.kind]) % {
            "amount": format_money(self.amount, self.currency),
            "mode": self.mode,
            "ago": ago(timezone.now() - self.at),
        }


def held(request: HttpRequest, form: forms.BaseForm, find: Callable[[], Twin | None]) -> bool:
    """True when the valid `form` must not be recorded yet: it repeats a write made a moment
    ago, under another key, and the box was not ticked. The question is then on the form
    (`form.repeat_question`, drawn by staff/_repeat_question.html). Reads only."""
    key = form.cleaned_data["idempotency_key"]
    if request.POST.get(CONFIRM_FIELD) == "1" or was_sent(_shop_id(request), key):
        return False
    twin = find()
    if twin is None or was_sent(_shop_id(request), key):
        # the twin may be this very form's write, committed since the first check: the first
        # request of a double click, which this one replays
        return False
    form.repeat_question = twin.question()  # type: ignore[attr-defined]
    return True


def was_sent(shop_id: int, key: str) -> bool:
    """The key was used already: the page is sent again, and the service gives its first
    result. Services claim the form's key, or keys derived from it (`<key>:settle`)."""
    claimed = Q(key=key) | Q(key__startswith=f"{key}:")
    return (
        IdempotencyRecord.objects.filter(claimed, shop_id=shop_id).exists()
        or Order.objects.filter(shop_id=shop_id, idempotency_key=key).exists()
        or Settlement.objects.filter(shop_id=shop_id, idempotency_key=key).exists()
        or ProviderRefund.objects.filter(shop_id=shop_id, idempotency_key=key).exists()
    )


def _shop_id(request: HttpRequest) -> int:
    return int(request.membership.shop_id)  # type: ignore[attr-defined]


def _since() -> dt.datetime:
    return timezone.now() - WINDOW


def _newest(rows: QuerySet[M]) -> M | None:
    """The newest of `rows` made within WINDOW."""
    return rows.filter(created_at__gte=_since()).order_by("-created_at").first()


def received_twin(
    *,
    account: Account,
    actor: User,
    top_up: bool,
    amount: int,
    mode: str,
    reference: str,
    received_on: dt.date,
) -> Twin | None:
    """The same payment (or top-up) on the same account: amount, mode, reference and day."""
    credit = _newest(
        Credit.objects.filter(
            shop_id=account.shop_id,
            account=account,
            kind=CreditKind.TOP_UP if top_up else CreditKind.PAYMENT,
            status=CreditStatus.ACTIVE,
            amount=amount,
            mode=mode,
            reference=reference,
            received_on=received_on,
            entry__actor_id=actor.pk,
        )
    )
    if credit is None:
        return None
    label = mode_labels(account.shop_id).get(mode, mode)
    kind = "top-up" if top_up else "payment"
    return Twin(kind, credit.amount, account.currency, credit.created_at, label)


def debit_twin(*, account: Account, actor: User, amount: int, reason: str) -> Twin | None:
    """The same debit adjustment on the same account: amount and reason."""
    charge = _newest(
        Charge.objects.filter(
            shop_id=account.shop_id,
            account=account,
            kind=ChargeKind.DEBIT_NOTE,
            total=amount,
            description=reason.strip(),
            entry__actor_id=actor.pk,
        ).exclude(status=ChargeStatus.VOID)
    )
    if charge is None:
        return None
    return Twin("debit", charge.total, account.currency, charge.created_at)


def credit_twin(*, account: Account, actor: User, amount: int, reason: str) -> Twin | None:
    """The same credit adjustment on the same account: amount and reason."""
    credit = _newest(
        Credit.objects.filter(
            shop_id=account.shop_id,
            account=account,
            kind=CreditKind.ADJUSTMENT,
            status=CreditStatus.ACTIVE,
            amount=amount,
            reason=reason.strip(),
            entry__actor_id=actor.pk,
        )
    )
    if credit is None:
        return None
    return Twin("credit", credit.amount, account.currency, credit.created_at)


def _line(description: str, quantity: Decimal, price: Decimal, vat: Decimal) -> tuple:
    # Decimals compare by value: 1 typed and 1.000 stored are the same quantity.
    return (description.strip(), quantity.normalize(), price.normalize(), vat.normalize())


def sale_twin(*, account: Account, actor: User, lines: list[LineInput], note: str) -> Twin | None:
    """The same sale (or order) for the same customer: the same lines, in order, and note."""
    wanted = [_line(li.description, li.quantity, li.unit_price, li.vat_rate) for li in lines]
    orders = (
        Order.objects.filter(
            shop_id=account.shop_id,
            account=account,
            created_by_id=actor.pk,
            note=note,
            created_at__gte=_since(),
        )
        .exclude(status=OrderStatus.CANCELLED)
        .order_by("-created_at")
        .prefetch_related("lines")
    )
    for order in orders:
        typed = sorted(order.lines.all(), key=lambda row: row.position)
        made = [_line(r.description, r.quantity, r.unit_price, r.vat_rate) for r in typed]
        if made == wanted:
            return Twin("sale", order.total, account.currency, order.created_at)
    return None


def settlement_twin(
    *, invoice: Invoice, actor: User, amount: int, mode: str, received_on: dt.date
) -> Twin | None:
    """The same settlement of the same invoice: amount, mode and day received."""
    settlement = _newest(
        Settlement.objects.filter(
            shop_id=invoice.shop_id,
            invoice=invoice,
            status=SettlementStatus.ACTIVE,
            amount=amount,
            mode=mode,
            received_on=received_on,
            actor_id=actor.pk,
        )
    )
    if settlement is None:
        return None
    label = mode_labels(invoice.shop_id).get(mode, mode)
    currency = invoice.charge.account.currency
    return Twin("settlement", settlement.amount, currency, settlement.created_at, label)


def refund_twin(*, charge: Charge, actor: User, amount: int) -> Twin | None:
    """A refund of the same sale for the same amount (to the account and paid out together),
    recorded or asked of the payment provider."""
    notes = Credit.objects.filter(
        shop_id=charge.shop_id,
        against_charge=charge,
        kind=CreditKind.CREDIT_NOTE,
        status=CreditStatus.ACTIVE,
        entry__actor_id=actor.pk,
        created_at__gte=_since(),
    ).order_by("-created_at")
    for note in notes:
        if note.amount + note.payout_amount == amount:
            return Twin("refund", amount, charge.account.currency, note.created_at)
    # Back to the card: asked of the provider, the credit note comes with its confirmation.
    asked = _newest(
        ProviderRefund.objects.filter(
            shop_id=charge.shop_id,
            charge=charge,
            amount=amount,
            actor_id=actor.pk,
        ).exclude(status=RefundStatus.REFUSED)
    )
    if asked is not None:
        return Twin("refund", amount, charge.account.currency, asked.created_at)
    return None
