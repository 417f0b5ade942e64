"""The four ways to record a movement on an account from the back office.

payment and top-up (money received by one of the shop's modes), debit and credit adjustment
(with a mandatory reason). Each one names its permission, its form and the ledger service it
calls with the form's idempotency key; the view stays the same for all four.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.core.forms import IdempotentForm
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import (
    CreditLimitExceeded,
    IdempotencyConflict,
    InvalidAmount,
    InvalidDate,
    InvalidPaymentMode,
    LedgerError,
    ReasonRequired,
)
from ardoise.ledger.models import Account
from ardoise.payments import selectors as payment_selectors
from ardoise.payments import services as payments
from ardoise.payments.errors import ModeNotAccepted, ModeOnlineOnly, ReceivedOnOutOfRange
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff import repeats
from ardoise.staff.customers.fields import occurred_at_for
from ardoise.staff.customers.forms import (
    AdjustmentForm,
    DebitAdjustmentForm,
    ReceiptForm,
    counter_modes,
)


@dataclass(frozen=True)
class Movement:
    kind: str
    title: StrOrPromise
    explanation: StrOrPromise
    done_message: StrOrPromise
    permission: Permission
    form: Callable[[MemberRequest, Account], IdempotentForm]
    record: Callable[[MemberRequest, Account, dict[str, Any]], object]
    # The same write made a moment ago (staff/repeats.py), asked about before recording again.
    twin: Callable[[MemberRequest, Account, dict[str, Any]], repeats.Twin | None]
    # What the form says when the shop has turned automatic allocation off (None: the same).
    explanation_manual: StrOrPromise | None = None

    def explain(self, *, auto_allocate: bool) -> StrOrPromise:
        """The sentence above the form, true to the shop's allocation setting."""
        if auto_allocate or self.explanation_manual is None:
            return self.explanation
        return self.explanation_manual


def _receipt_form(request: MemberRequest, account: Account) -> IdempotentForm:
    modes = counter_modes(account.shop_id)
    initial: dict[str, Any] = {"day": timezone.localdate()}
    shop = request.membership.shop
    if shop.default_payment_mode in dict(modes):
        initial["mode"] = shop.default_payment_mode
    earliest = payment_selectors.earliest_received_on(shop)
    return ReceiptForm(request.POST or None, modes=modes, initial=initial, earliest=earliest)


def _receive(
    request: MemberRequest, account: Account, data: dict[str, Any], *, top_up: bool
) -> object:
    return payments.record_received(
        account=account,
        top_up=top_up,
        amount=data["amount"],
        mode=data["mode"],
        reference=data["reference"],
        received_on=data["day"],
        occurred_at=occurred_at_for(data["day"]),
        idempotency_key=data["idempotency_key"],
        actor=request.user,
    )


def _record_payment(request: MemberRequest, account: Account, data: dict[str, Any]) -> object:
    return _receive(request, account, data, top_up=False)


def _record_top_up(request: MemberRequest, account: Account, data: dict[str, Any]) -> object:
    return _receive(request, account, data, top_up=True)


def _received_twin(
    request: MemberRequest, account: Account, data: dict[str, Any], *, top_up: bool
) -> repeats.Twin | None:
    return repeats.received_twin(
        account=account,
        actor=request.user,
        top_up=top_up,
        amount=data["amount"],
        mode=data["mode"],
        reference=data["reference"],
        received_on=data["day"],
    )


def _payment_twin(request: MemberRequest, account: Account, data: dict[str, Any]) -> Any:
    return _received_twin(request, account, data, top_up=False)


def _top_up_twin(request: MemberRequest, account: Account, data: dict[str, Any]) -> Any:
    return _received_twin(request, account, data, top_up=True)


def _debit_twin(request: MemberRequest, account: Account, data: dict[str, Any]) -> Any:
    return repeats.debit_twin(
        account=account, actor=request.user, amount=data["amount"], reason=data["reason"]
    )


def _credit_twin(request: MemberRequest, account: Account, data: dict[str, Any]) -> Any:
    return repeats.credit_twin(
        account=account, actor=request.user, amount=data["amount"], reason=data["reason"]
    )


def _debit_form(request: MemberRequest, account: Account) -> IdempotentForm:
    membership = request.membership
    may_override = membership.can(Permission.ACCOUNTS_OVERRIDE_LIMIT)
    return DebitAdjustmentForm(request.POST or None, may_override=may_override)


def _post_debit(request: MemberRequest, account: Account, data: dict[str, Any]) -> object:
    override = data.get("override_limit") and request.membership.can(
        Permission.ACCOUNTS_OVERRIDE_LIMIT
    )
    return ledger.post_debit_adjustment(
        account=account,
        amount=data["amount"],
        reason=data["reason"],
        idempotency_key=data["idempotency_key"],
        actor=request.user,
        override_by=request.user if override else None,
    )


def _credit_form(request: MemberRequest, account: Account) -> IdempotentForm:
    return AdjustmentForm(request.POST or None)


def _post_credit(request: MemberRequest, account: Account, data: dict[str, Any]) -> object:
    return ledger.post_credit_adjustment(
        account=account,
        amount=data["amount"],
        reason=data["reason"],
        idempotency_key=data["idempotency_key"],
        actor=request.user,
    )


MOVEMENTS = {
    movement.kind: movement
    for movement in [
        Movement(
            kind="payment",
            title=_("Record a payment"),
            explanation=_(
                "Money received: it settles the oldest open charges first; what is left stays as "
                "a deposit."
            ),
            explanation_manual=_(
                "Money received: automatic allocation is off, so it stays as a deposit until you "
                "apply it to chosen charges from the Account tab."
            ),
            done_message=_("Payment recorded."),
            permission=Permission.PAYMENTS_RECORD,
            form=_receipt_form,
            record=_record_payment,
            twin=_payment_twin,
        ),
        Movement(
            kind="top-up",
            title=_("Record a top-up or deposit"),
            explanation=_(
                "A prepayment (for example a transfer of 50 €): it settles the oldest open "
                "charges first, and what is left raises the balance."
            ),
            explanation_manual=_(
                "A prepayment (for example a transfer of 50 €) that raises the balance. "
                "Automatic allocation is off: it pays no charge until you apply it."
            ),
            done_message=_("Top-up recorded."),
            permission=Permission.PAYMENTS_RECORD,
            form=_receipt_form,
            record=_record_top_up,
            twin=_top_up_twin,
        ),
        Movement(
            kind="debit",
            title=_("Debit adjustment"),
            explanation=_(
                "Raises what the customer owes, with a reason. The credit limit applies."
            ),
            done_message=_("Debit adjustment recorded."),
            permission=Permission.ACCOUNTS_ADJUST,
            form=_debit_form,
            record=_post_debit,
            twin=_debit_twin,
        ),
        Movement(
            kind="credit",
            title=_("Credit adjustment"),
            explanation=_("Lowers what the customer owes (a goodwill gesture, a correction)."),
            done_message=_("Credit adjustment recorded."),
            permission=Permission.ACCOUNTS_ADJUST,
            form=_credit_form,
            record=_post_credit,
            twin=_credit_twin,
        ),
    ]
}


def get_movement(kind: str) -> Movement:
    movement = MOVEMENTS.get(kind)
    if movement is None:
        raise Http404("no such movement")
    return movement


_FIELDS: dict[type[LedgerError], str] = {
    InvalidAmount: "amount",
    CreditLimitExceeded: "amount",
    InvalidDate: "day",
    ReceivedOnOutOfRange: "day",
    InvalidPaymentMode: "mode",
    ModeOnlineOnly: "mode",
    ModeNotAccepted: "mode",
    ReasonRequired: "reason",
    IdempotencyConflict: "",
}


def field_for(error: LedgerError) -> str | None:
    """The form field a ledger refusal belongs next to (None: the whole form)."""
    return _FIELDS.get(type(error)) or None


def status(form: forms.BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200
