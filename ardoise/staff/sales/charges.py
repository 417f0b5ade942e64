"""The transaction page of a charge (an invoice or a debit note): lines, status, allocations, the
settlement block (only what is still owed), receipts and the invoice (print and PDF), and the
reversal of a sale or a debit note entered by mistake. Its Refund page is in refunds.py."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.core.forms import new_key
from ardoise.core.money import format_money
from ardoise.invoicing import selectors
from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import LedgerError
from ardoise.ledger.models import Allocation, Charge, ChargeStatus, Credit, CreditStatus
from ardoise.payments import selectors as payment_selectors
from ardoise.payments import services as payments
from ardoise.payments.errors import (
    ModeOnlineOnly,
    ReceivedOnOutOfRange,
    SettlementPageOutOfDate,
)
from ardoise.payments.refunds import refunds_of
from ardoise.shops.access import MemberRequest
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission
from ardoise.staff import repeats
from ardoise.staff.access import get_charge_for_member, member_required
from ardoise.staff.customers.fields import occurred_at_for
from ardoise.staff.sales.access import get_settlement_for_member
from ardoise.staff.sales.forms import ReasonForm, SettlementForm
from ardoise.statements.sales_documents import (
    customer_language,
    document_context,
)
from ardoise.statements.sales_documents import invoice_pdf as invoice_pdf_file


def _settlement_form(membership: Membership, charge: Charge, data: Any = None) -> SettlementForm:
    """Pre-filled with what is still owed, and carrying it: the service refuses the form if the
    invoice was settled since it was shown."""
    shop = membership.shop
    modes = payment_selectors.manual_modes(shop.pk)
    initial = {
        "mode": shop.default_payment_mode,
        "amount": charge.open_amount or None,
        "received_on": timezone.localdate(),
        "expected_open": charge.open_amount,
    }
    earliest = payment_selectors.earliest_received_on(shop)
    return SettlementForm(data, initial=initial, modes=modes, earliest=earliest)


def _refunds(charge: Charge) -> dict[str, int]:
    notes = Credit.objects.filter(
        shop_id=charge.shop_id, against_charge=charge, status=CreditStatus.ACTIVE
    )
    return {
        "to_account": sum(note.amount for note in notes),
        "paid_out": sum(note.payout_amount for note in notes),
    }


def _page(
    request: MemberRequest,
    charge: Charge,
    *,
    settle_form: SettlementForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = document_context(request.membership.shop, charge)
    allocations = (
        Allocation.objects.filter(shop_id=charge.shop_id, charge=charge)
        .select_related("credit")
        .order_by("created_at", "id")
    )
    is_void = charge.status == ChargeStatus.VOID
    context |= {
        "allocations": allocations,
        "credit_notes": Credit.objects.filter(shop_id=charge.shop_id, against_charge=charge),
        "settle_form": settle_form or _settlement_form(request.membership, charge),
        # Only what is still owed is offered: a paid invoice has no form pre-filled with its total.
        "can_settle": not is_void and charge.open_amount > 0,
        "refunds": _refunds(charge),
        "provider_refunds": refunds_of(charge),
        "has_active_refunds": charge.credit_notes.filter(status=CreditStatus.ACTIVE).exists(),
        "is_refunded": not is_void and charge.total > 0 and charge.creditable_amount == 0,
        "reason_key": new_key(),
        "is_void": is_void,
        "can_refund": charge.creditable_amount > 0
        and (
            {"sales.refund", "sales.refund_to_account"} & set(request.membership.role.permissions)
        ),
        "nav": "sales",
    }
    return render(request, "staff/sales/charge_detail.html", context, status=status)


@repeats.restorable
@member_required(Permission.SALES_VIEW)
def charge_detail(request: MemberRequest, charge_id: int) -> HttpResponse:
    return _page(request, get_charge_for_member(request.membership, charge_id))


@repeats.restorable
@require_POST
@member_required(Permission.PAYMENTS_RECORD)
def charge_settle(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id, perm=Permission.PAYMENTS_RECORD)
    form = _settlement_form(request.membership, charge, request.POST)
    invoice = selectors.invoice_for_charge(request.membership.shop_id, charge.pk)
    if invoice is None:
        form.add_error(None, _("Only invoices have a settlement block."))
    elif form.is_valid():
        data = form.cleaned_data
        data["received_on"] = data["received_on"] or timezone.localdate()
        if repeats.held(request, form, lambda: _settlement_twin(request, charge, invoice, data)):
            charge.refresh_from_db()
            return _page(request, charge, settle_form=form, status=409)
        sent = repeats.was_sent(charge.shop_id, data["idempotency_key"])
        try:
            settlement = payments.settle_invoice(
                invoice=invoice,
                mode=data["mode"],
                amount=data["amount"],
                received_on=data["received_on"],
                occurred_at=occurred_at_for(data["received_on"]),
                expected_open=data["expected_open"],
                actor=request.user,
                idempotency_key=data["idempotency_key"],
            )
        except ReceivedOnOutOfRange as error:
            form.add_error("received_on", str(error))
        except SettlementPageOutOfDate as error:
            # A fresh page, with what is owed now; the old form's figures are not shown again.
            messages.error(request, str(error))
            return redirect("staff:charge_detail", charge.pk)
        except ModeOnlineOnly as error:
            form.add_error("mode", str(error))
        except LedgerError as error:
            form.refuse(error, "amount")
        else:
            done = _settled_message(settlement.overpayment)
            messages.success(request, repeats.ALREADY_RECORDED if sent else done)
            return redirect("staff:charge_detail", charge.pk)
    charge.refresh_from_db()
    return _page(request, charge, settle_form=form, status=400)


def _settlement_twin(
    request: MemberRequest, charge: Charge, invoice: Invoice, data: dict[str, Any]
) -> repeats.Twin | None:
    if data["expected_open"] != charge.open_amount:
        return None  # an old page: the service refuses it, saying the invoice changed since
    return repeats.settlement_twin(
        invoice=invoice,
        actor=request.user,
        amount=data["amount"],
        mode=data["mode"],
        received_on=data["received_on"],
    )


def _settled_message(overpayment: int) -> str:
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


@require_POST
@member_required(Permission.ACCOUNTS_REVERSE)
def charge_reverse(request: MemberRequest, charge_id: int) -> HttpResponse:
    """Correct a sale or a debit note entered by mistake: the ledger's reversing entry."""
    charge = get_charge_for_member(request.membership, charge_id, perm=Permission.ACCOUNTS_REVERSE)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is required to reverse an entry."))
        return redirect("staff:charge_detail", charge.pk)
    try:
        ledger.reverse_entry(
            entry=charge.entry,
            reason=form.cleaned_data["reason"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            actor=request.user,
        )
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Reversed: %(amount)s is no longer owed.")
            % {"amount": format_money(charge.total, charge.account.currency)},
        )
    return redirect("staff:charge_detail", charge.pk)


@member_required(Permission.SALES_VIEW)
def invoice_print(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id)
    context = document_context(request.membership.shop, charge)
    with customer_language(context["customer"]):
        return render(request, "documents/invoice_print.html", context)


@member_required(Permission.SALES_VIEW)
def invoice_pdf(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id)
    context = document_context(request.membership.shop, charge)
    # Rendered here, in the request, outside any transaction (ATOMIC_REQUESTS is off).
    pdf, name = invoice_pdf_file(context, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@member_required(Permission.SALES_VIEW)
def receipt(request: MemberRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_member(request.membership, charge_id)
    context = document_context(request.membership.shop, charge)
    context["gift"] = request.GET.get("gift") == "1"
    with customer_language(context["customer"]):
        return render(request, "documents/receipt.html", context)
