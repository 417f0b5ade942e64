"""The transaction page of a credit (a payment, a top-up, an adjustment, a credit note): what it
was, what it settled, its receipt, and its reversal when it was a mistake."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.core.forms import new_key
from ardoise.core.money import format_money
from ardoise.ledger.errors import LedgerError
from ardoise.ledger.models import Allocation, Credit, CreditKind, CreditStatus, JournalEntry
from ardoise.payments import services as payments
from ardoise.shops.access import MemberRequest
from ardoise.shops.models import Shop
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.sales.access import get_credit_for_member
from ardoise.staff.sales.charges import mode_labels

# What a receipt is printed for: money handed over at the counter without an invoice.
RECEIPT_KINDS = {CreditKind.PAYMENT, CreditKind.TOP_UP}


def credit_context(shop: Shop, credit: Credit) -> dict[str, Any]:
    """What the credit page and its receipt show: the balance right after it, not only now."""
    account = credit.account
    account.refresh_from_db(fields=["balance", "debt", "deposit"])
    posting = credit.entry.postings.filter(account_id=account.pk).first()
    reversal = JournalEntry.objects.filter(reverses=credit.entry).first()
    allocations = (
        Allocation.objects.filter(shop_id=shop.pk, credit=credit)
        .select_related("charge")
        .order_by("created_at", "id")
    )
    return {
        "credit": credit,
        "account": account,
        "customer": account.customer,
        "balance_after": posting.balance_after if posting else None,
        "reversal": reversal,
        "allocations": allocations,
        "labels": mode_labels(shop.pk),
        "has_receipt": credit.kind in RECEIPT_KINDS,
        "printed_at": timezone.now(),
        "shop": shop,
    }


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
    return render(request, "staff/sales/credit_receipt.html", context)


@require_POST
@member_required(Permission.ACCOUNTS_REVERSE)
def credit_reverse(request: MemberRequest, credit_id: int) -> HttpResponse:
    credit = get_credit_for_member(request.membership, credit_id, perm=Permission.ACCOUNTS_REVERSE)
    reason = request.POST.get("reason", "").strip()[:200]
    key = request.POST.get("idempotency_key", "")[:120]
    if not reason or not key:
        messages.error(request, _("A reason is required to reverse an entry."))
        return redirect("staff:credit_detail", credit.pk)
    try:
        payments.reverse_credit(
            credit=credit,
            reason=reason,
            actor=request.user,
            idempotency_key=key,
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
