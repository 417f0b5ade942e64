"""The transaction page of a charge (an invoice or a debit note): lines, status, allocations, the
settlement block, receipts and the invoice (print and PDF), and Refund."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.core.forms import new_key
from ardoise.invoicing import selectors
from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import LedgerError
from ardoise.ledger.models import Allocation, Charge, ChargeStatus, Credit
from ardoise.ledger.selectors import refund_minimum_to_account
from ardoise.payments import selectors as payment_selectors
from ardoise.payments import services as payments
from ardoise.shops.access import MemberRequest
from ardoise.shops.models import Membership, Shop
from ardoise.shops.permissions import Permission
from ardoise.staff.access import get_charge_for_member, member_required, require
from ardoise.staff.sales.access import get_settlement_for_member
from ardoise.staff.sales.forms import ReasonForm, RefundForm, SettlementForm

ACCOUNT = "account"


def _mode_labels(shop_id: int) -> dict[str, str]:
    from ardoise.payments.models import PaymentMode

    labels = {mode.code: mode.label for mode in PaymentMode.objects.for_shop(shop_id)}
    return labels | {ACCOUNT: labels.get(ACCOUNT, _("Customer account"))}


def document_context(shop: Shop, charge: Charge) -> dict[str, Any]:
    """What the charge page, the printed invoice, the PDF and the receipts show."""
    invoice = selectors.invoice_for_charge(shop.pk, charge.pk)
    account = charge.account
    account.refresh_from_db(fields=["balance", "debt", "deposit"])
    settlements = payment_selectors.settlements_for_invoice(invoice) if invoice else []
    return {
        "charge": charge,
        "invoice": invoice,
        "order": invoice.order if invoice else None,
        "lines": list(invoice.order.lines.all()) if invoice else [],
        "vat_lines": list(invoice.order.vat_lines.all()) if invoice else [],
        "customer": account.customer,
        "account": account,
        "settlements": settlements,
        "received": [row for row in settlements if row.is_active and row.credit_id],
        "labels": _mode_labels(shop.pk),
        "printed_at": timezone.now(),
        "shop": shop,
    }


def _settlement_form(membership: Membership, charge: Charge, data: Any = None) -> SettlementForm:
    shop = membership.shop
    modes = payment_selectors.accepted_modes(shop.pk)
    amount = charge.open_amount or charge.total
    initial = {"mode": shop.default_payment_mode, "amount": amount or None}
    return SettlementForm(data, initial=initial, modes=modes)


def _page(
    request: MemberRequest, charge: Charge, *, settle_form: SettlementForm | None = None
) -> HttpResponse:
    context = document_context(request.membership.shop, charge)
    allocations = (
        Allocation.objects.filter(shop_id=charge.shop_id, charge=charge)
        .select_related("credit")
        .order_by("created_at", "id")
    )
    context |= {
        "allocations": allocations,
        "credit_notes": Credit.objects.filter(shop_id=charge.shop_id, against_charge=charge),
        "settle_form": settle_form or _settlement_form(request.membership, charge),
        "reason_key": new_key(),
        "is_void": charge.status == ChargeStatus.VOID,
        "can_refund": charge.creditable_amount > 0
        and (
            {"sales.refund", "sales.refund_to_account"} & set(request.membership.role.permissions)
        ),
        "nav": "sales",
    }
    return render(
        request, "staff/sales/charge_detail.html", context, status=400 if settle_form else 200
    )


@member_required(Permission.SALES_VIEW)
def charge_detail(request: MemberRequest, charge_id: int) -> HttpResponse:
    return _page(request, get_charge_for_member(request.membership, charge_id))


@require_POST
@member_required(Permission.PAYMENTS_RECORD)
def charge_settle(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id, perm=Permission.PAYMENTS_RECORD)
    form = _settlement_form(request.membership, charge, request.POST)
    invoice = selectors.invoice_for_charge(request.membership.shop_id, charge.pk)
    if invoice is None:
        form.add_error(None, _("Only invoices have a settlement block."))
    elif form.is_valid():
        try:
            settlement = payments.settle_invoice(
                invoice=invoice,
                mode=form.cleaned_data["mode"],
                amount=form.cleaned_data["amount"],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except LedgerError as error:
            form.add_error("amount", str(error))
        else:
            messages.success(request, _settled_message(settlement.overpayment))
            return redirect("staff:charge_detail", charge.pk)
    return _page(request, charge, settle_form=form)


def _settled_message(overpayment: int) -> str:
    from ardoise.core.money import format_money

    if overpayment > 0:
        return _("Settlement recorded. %(amount)s over-paid was credited to the account.") % {
            "amount": format_money(overpayment)
        }
    return _("Settlement recorded.")


@require_POST
@member_required(Permission.ACCOUNTS_REVERSE)
def settlement_reverse(request: MemberRequest, settlement_id: int) -> HttpResponse:
    settlement = get_settlement_for_member(request.membership, settlement_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is required to reverse a settlement."))
    else:
        try:
            payments.reverse_settlement(
                settlement=settlement,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except LedgerError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Settlement reversed."))
    return redirect("staff:charge_detail", settlement.invoice.charge_id)


def customer_language(context: dict[str, Any]) -> translation.override:
    """A customer's documents (invoice, receipt) speak the customer's language when it is set;
    otherwise the language of whoever prints them, who hands them over."""
    return translation.override(context["customer"].language or translation.get_language())


@member_required(Permission.SALES_VIEW)
def invoice_print(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id)
    context = document_context(request.membership.shop, charge)
    with customer_language(context):
        return render(request, "staff/sales/invoice_print.html", context)


@member_required(Permission.SALES_VIEW)
def invoice_pdf(request: MemberRequest, charge_id: int) -> HttpResponse:
    from weasyprint import HTML

    charge = get_charge_for_member(request.membership, charge_id)
    context = document_context(request.membership.shop, charge)
    with customer_language(context):
        html = render_to_string("staff/sales/invoice_pdf.html", context, request=request)
    # Rendered here, in the request, outside any transaction (ATOMIC_REQUESTS is off).
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    name = (context["invoice"].number if context["invoice"] else charge.reference) or charge.pk
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@member_required(Permission.SALES_VIEW)
def receipt(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id)
    context = document_context(request.membership.shop, charge)
    context["gift"] = request.GET.get("gift") == "1"
    with customer_language(context):
        return render(request, "staff/sales/receipt.html", context)


def _refund_modes(membership: Membership) -> list[tuple[str, str]]:
    modes: list[tuple[str, str]] = []
    if membership.can(Permission.SALES_REFUND_TO_ACCOUNT):
        modes.append((ACCOUNT, _("Customer account")))
    if membership.can(Permission.SALES_REFUND):
        modes += [
            (mode.code, mode.label)
            for mode in payment_selectors.accepted_modes(membership.shop_id)
            if mode.code != ACCOUNT
        ]
    return modes


def _refund_form(request: MemberRequest, charge: Charge, invoice: Invoice | None) -> RefundForm:
    lines = {str(line.pk): line.amount for line in invoice.order.lines.all()} if invoice else {}
    data = request.POST if request.method == "POST" and "max" not in request.POST else None
    initial: dict[str, Any] = {"mode": ACCOUNT}
    if request.method == "POST" and "max" in request.POST:  # "Max" without JavaScript
        initial |= request.POST.dict() | {"amount": charge.creditable_amount}
    return RefundForm(
        data, initial=initial, line_amounts=lines, modes=_refund_modes(request.membership)
    )


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
    if form.is_bound and form.is_valid():
        try:
            _issue_refund(request, charge, form.cleaned_data)
        except LedgerError as error:
            form.add_error("amount", str(error))
        else:
            messages.success(request, _("Refund recorded."))
            return redirect("staff:charge_detail", charge.pk)
    context = document_context(membership.shop, charge) | {
        "form": form,
        "maximum": charge.creditable_amount,
        "minimum": refund_minimum_to_account(charge, charge.creditable_amount),
        "nav": "sales",
    }
    return render(
        request, "staff/sales/charge_refund.html", context, status=400 if form.errors else 200
    )


def _require_refund_mode(membership: Membership, mode: str) -> None:
    """The refund's payout mode needs its permission: checked before the form, so a forged mode
    is a 403 whatever else the request holds."""
    require(
        membership,
        Permission.SALES_REFUND_TO_ACCOUNT if mode == ACCOUNT else Permission.SALES_REFUND,
    )


def _issue_refund(request: MemberRequest, charge: Charge, data: dict[str, Any]) -> Credit:
    mode = data["mode"]
    _require_refund_mode(request.membership, mode)
    return ledger.issue_credit_note(
        charge=charge,
        amount=data["amount"],
        reason=data["reason"],
        refund_mode=mode,
        to_account=None if mode == ACCOUNT else data.get("to_account"),
        idempotency_key=data["idempotency_key"],
        actor=request.user,
    )
