"""The transaction page of a credit (a payment, a top-up, an adjustment, a credit note): what it
was, what it settled, its receipt, and its reversal when it was a mistake."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.core.forms import new_key
from ardoise.core.money import format_money
from ardoise.ledger.errors import LedgerError
from ardoise.ledger.models import CreditStatus
from ardoise.payments import services as payments
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.sales.access import get_credit_for_member
from ardoise.staff.sales.forms import ReasonForm
from ardoise.statements.sales_documents import credit_context


@member_required(Permission.CUSTOMERS_VIEW)
def credit_detail(request: MemberRequest, credit_id: int) -> HttpResponse:
    credit = get_credit_for_member(request.membership, credit_id, perm=Permission.CUSTOMERS_VIEW)
    context = credit_context(request.membership.shop, credit) | {
        "is_void": credit.status == CreditStatus.VOID,
        "reason_key": new_key(),
        "nav": "customers",
    }
    return render(request, "staff/sales/credit_detail.html", context)


@member_required(Permission.CUSTOMERS_VIEW)
def credit_receipt(request: MemberRequest, credit_id: int) -> HttpResponse:
    credit = get_credit_for_member(request.membership, credit_id, perm=Permission.CUSTOMERS_VIEW)
    context = credit_context(request.membership.shop, credit)
    return render(request, "documents/credit_receipt.html", context)


@require_POST
@member_required(Permission.ACCOUNTS_REVERSE)
def credit_reverse(request: MemberRequest, credit_id: int) -> HttpResponse:
    credit = get_credit_for_member(request.membership, credit_id, perm=Permission.ACCOUNTS_REVERSE)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason is required to reverse an entry."))
        return redirect("staff:credit_detail", credit.pk)
    try:
        payments.reverse_credit(
            credit=credit,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Reversed: %(amount)s taken back off the account.")
            % {"amount": format_money(credit.total, credit.account.currency)},
        )
    return redirect("staff:credit_detail", credit.pk)
