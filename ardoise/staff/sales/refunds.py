"""Refund of a sale (a credit note) from its charge page: back to the account, paid out by one
of the shop's modes, or back to the card it was paid by (asked of the payment provider)."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ardoise.core.forms import amount_input_value
from ardoise.core.money import format_money
from ardoise.invoicing import selectors
from ardoise.invoicing.models import Invoice
from ardoise.ledger.errors import LedgerError
from ardoise.ledger.models import Charge, Credit
from ardoise.ledger.selectors import refund_minimum_to_account
from ardoise.payments import selectors as payment_selectors
from ardoise.payments import services as payments
from ardoise.payments.errors import RefundSplitRequired
from ardoise.payments.models import BuiltInMode, ProviderRefund
from ardoise.payments.refunds import refundable_checkout, request_online_refund
from ardoise.shops.access import MemberRequest
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission
from ardoise.staff import repeats
from ardoise.staff.access import get_charge_for_member, member_required, require
from ardoise.staff.sales.forms import RefundForm
from ardoise.statements.sales_documents import (
    ACCOUNT,
    document_context,
    mode_labels,
)

ONLINE = BuiltInMode.ONLINE.value


def _refund_modes(membership: Membership, charge: Charge) -> list[tuple[str, str]]:
    modes: list[tuple[str, str]] = []
    if membership.can(Permission.SALES_REFUND_TO_ACCOUNT):
        modes.append((ACCOUNT, _("Customer account")))
    if membership.can(Permission.SALES_REFUND):
        modes += [
            (mode.code, mode.label)
            for mode in payment_selectors.manual_modes(membership.shop_id)
            if mode.code != ACCOUNT
        ]
        online = refundable_checkout(charge)  # paid online: back to the card, by the provider
        if online is not None:
            label = _("Back to the card it was paid by (%(provider)s)")
            modes.append((ONLINE, label % {"provider": online.provider_label}))
    return modes


def _refund_form(
    request: MemberRequest, charge: Charge, invoice: Invoice | None, data: Any = None
) -> RefundForm:
    lines = {str(line.pk): line.amount for line in invoice.order.lines.all()} if invoice else {}
    if data is None and request.method == "POST" and "max" not in request.POST:
        data = request.POST
    initial: dict[str, Any] = {"mode": ACCOUNT}
    if request.method == "POST" and "max" in request.POST:  # "Max" without JavaScript
        initial |= request.POST.dict() | {"amount": charge.creditable_amount}
    return RefundForm(
        data, initial=initial, line_amounts=lines, modes=_refund_modes(request.membership, charge)
    )


@repeats.restorable
@member_required(Permission.SALES_VIEW)
def charge_refund(request: MemberRequest, charge_id: int) -> HttpResponse:
    membership = request.membership
    charge = get_charge_for_member(membership, charge_id)
    if not (
        membership.can(Permission.SALES_REFUND)
        or membership.can(Permission.SALES_REFUND_TO_ACCOUNT)
    ):
        require(membership, Permission.SALES_REFUND_TO_ACCOUNT)
    if request.method == "POST" and "max" not in request.POST:
        _require_refund_mode(membership, request.POST.get("mode", ACCOUNT))
    invoice = selectors.invoice_for_charge(membership.shop_id, charge.pk)
    form = _refund_form(request, charge, invoice)
    held = form.is_bound and form.is_valid() and _refund_held(request, charge, form)
    if form.is_bound and form.is_valid() and not held:
        done = _record_refund(request, charge, invoice, form)
        if isinstance(done, HttpResponse):
            return done
        form = done
    context = document_context(membership.shop, charge) | {
        "form": form,
        "maximum": charge.creditable_amount,
        "minimum": refund_minimum_to_account(charge, charge.creditable_amount),
        "nav": "sales",
    }
    status = 409 if held else 400 if form.errors else 200
    return render(request, "staff/sales/charge_refund.html", context, status=status)


def _record_refund(
    request: MemberRequest, charge: Charge, invoice: Invoice | None, form: RefundForm
) -> HttpResponse | RefundForm:
    """Record the valid refund form: the redirect, or the form with the refusal on it."""
    sent = repeats.was_sent(charge.shop_id, form.cleaned_data["idempotency_key"])
    if form.cleaned_data["mode"] == ONLINE:
        try:
            asked = _ask_online_refund(request, charge, form.cleaned_data)
        except LedgerError as error:
            form.add_error("amount", str(error))
            return form
        messages.success(request, _online_refund_message(asked))
        return redirect("staff:charge_detail", charge.pk)
    try:
        note = _issue_refund(request, charge, form.cleaned_data)
    except RefundSplitRequired as error:
        # Shown, not guessed: the split is filled in and the cashier confirms it.
        data = request.POST.copy()
        data["to_account"] = amount_input_value(error.params["minimum"])
        form = _refund_form(request, charge, invoice, data)
        form.is_valid()
        form.add_error("to_account", str(error))
        return form
    except LedgerError as error:
        form.refuse(error, "amount")
        return form
    messages.success(request, repeats.ALREADY_RECORDED if sent else _refund_message(note))
    return redirect("staff:charge_detail", charge.pk)


def _refund_held(request: MemberRequest, charge: Charge, form: RefundForm) -> bool:
    amount = form.cleaned_data["amount"]
    return repeats.held(
        request, form, lambda: repeats.refund_twin(charge=charge, actor=request.user, amount=amount)
    )


def _require_refund_mode(membership: Membership, mode: str) -> None:
    """The refund's payout mode needs its permission: checked before the form, so a forged mode
    is a 403 whatever else the request holds."""
    require(
        membership,
        Permission.SALES_REFUND_TO_ACCOUNT if mode == ACCOUNT else Permission.SALES_REFUND,
    )


def _refund_message(note: Credit) -> str:
    currency = note.account.currency
    if not note.payout_amount:
        return _("Refund recorded: %(amount)s back to the account.") % {
            "amount": format_money(note.amount, currency)
        }
    return _("Refund recorded: %(amount)s back to the account, %(payout)s paid in %(mode)s.") % {
        "amount": format_money(note.amount, currency),
        "payout": format_money(note.payout_amount, currency),
        "mode": mode_labels(note.shop_id).get(note.payout_mode, note.payout_mode).lower(),
    }


def _ask_online_refund(
    request: MemberRequest, charge: Charge, data: dict[str, Any]
) -> ProviderRefund:
    _require_refund_mode(request.membership, ONLINE)
    return request_online_refund(
        charge=charge,
        amount=data["amount"],
        reason=data["reason"],
        to_account=data.get("to_account"),
        idempotency_key=data["idempotency_key"],
        actor=request.user,
    )


def _online_refund_message(refund: ProviderRefund) -> str:
    return _(
        "Refund of %(amount)s asked of the payment provider: it is recorded once the "
        "provider confirms it."
    ) % {"amount": format_money(refund.payout, refund.checkout.currency)}


def _issue_refund(request: MemberRequest, charge: Charge, data: dict[str, Any]) -> Credit:
    mode = data["mode"]
    _require_refund_mode(request.membership, mode)
    return payments.refund_charge(
        charge=charge,
        amount=data["amount"],
        reason=data["reason"],
        refund_mode=mode,
        to_account=data.get("to_account"),
        idempotency_key=data["idempotency_key"],
        actor=request.user,
    )
