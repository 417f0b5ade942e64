"""The customer's history and documents: every movement between two dates with its running
balance, each invoice (printable and PDF), each statement (PDF), each payment's and top-up's
receipt. The documents are the back office's own (`statements.sales_documents`), read through
the portal's access helpers: another customer's or another shop's id gives 404."""

import datetime as dt
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ardoise.core.forms import DateRangeForm
from ardoise.core.repeats import restorable
from ardoise.ledger.models import ChargeKind
from ardoise.ledger.selectors import account_activity
from ardoise.portal.access import (
    PortalContext,
    PortalRequest,
    customer_required,
    get_charge_for_customer,
    get_credit_for_customer,
    render_portal,
)
from ardoise.statements.activity import activity_lines, online_credit_ids
from ardoise.statements.models import Statement
from ardoise.statements.rendering import render_statement_pdf
from ardoise.statements.sales_documents import (
    RECEIPT_KINDS,
    credit_context,
    customer_language,
    document_context,
    invoice_pdf,
    mode_labels,
)
from ardoise.statements.selectors import online_payment_labels, payment_state

DEFAULT_DAYS = 90
STATEMENTS_SHOWN = 24


def history_range(request: PortalRequest) -> tuple[DateRangeForm, dt.date, dt.date]:
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=DEFAULT_DAYS), today
    form = DateRangeForm(request.GET if "start" in request.GET else None)
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if not form.is_bound:
        form = DateRangeForm(initial={"start": start, "end": end})
    return form, start, end


def history_context(portal: PortalContext, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The movements of the range, most recent first, and which have a document to open."""
    activity = account_activity(portal.account, start=start, end=end)
    references = online_payment_labels(portal.shop.pk, online_credit_ids(activity))
    lines = activity_lines(activity, mode_labels(portal.shop.pk), references)
    invoice_ids = set(
        portal.account.charges.filter(
            pk__in=[line.charge_id for line in lines if line.charge_id], kind=ChargeKind.INVOICE
        ).values_list("pk", flat=True)
    )
    receipt_ids = set(
        portal.account.credits.filter(
            pk__in=[line.credit_id for line in lines if line.credit_id], kind__in=RECEIPT_KINDS
        ).values_list("pk", flat=True)
    )
    return {
        "activity": activity,
        "lines": lines,
        "invoice_ids": invoice_ids,
        "receipt_ids": receipt_ids,
    }


@require_GET
@customer_required
def history(request: PortalRequest) -> HttpResponse:
    form, start, end = history_range(request)
    context = history_context(request.portal, start, end) | {"nav": "history", "form": form}
    status = 400 if form.errors else 200
    return render_portal(request, "portal/history.html", context, status=status)


def _back(request: PortalRequest) -> str:
    return reverse("portal:history", kwargs={"shop_slug": request.portal.shop.slug})


@require_GET
@customer_required
def invoice(request: PortalRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_customer(request.portal, charge_id)
    context = document_context(request.portal.shop, charge) | {
        "back_url": _back(request),
        "pdf_url": reverse(
            "portal:invoice_pdf",
            kwargs={"shop_slug": request.portal.shop.slug, "charge_id": charge.pk},
        ),
    }
    with customer_language(context["customer"]):
        return render(request, "documents/invoice_print.html", context)


@require_GET
@customer_required
def invoice_pdf_view(request: PortalRequest, charge_id: int) -> HttpResponse:
    charge = get_charge_for_customer(request.portal, charge_id)
    context = document_context(request.portal.shop, charge)
    if context["invoice"] is None:
        raise Http404("this charge has no invoice")
    pdf, name = invoice_pdf(context, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_GET
@customer_required
def receipt(request: PortalRequest, credit_id: int) -> HttpResponse:
    credit = get_credit_for_customer(request.portal, credit_id)
    if credit.kind not in RECEIPT_KINDS:
        raise Http404("only payments and top-ups have a receipt")
    context = credit_context(request.portal.shop, credit) | {"back_url": _back(request)}
    with customer_language(context["customer"]):
        return render(request, "documents/credit_receipt.html", context)


@restorable  # its Pay buttons move money (core.repeats)
@require_GET
@customer_required
def statement_list(request: PortalRequest) -> HttpResponse:
    statements = Statement.objects.filter(
        shop_id=request.portal.shop.pk, account_id=request.portal.account.pk
    ).order_by("-issued_at", "-id")[:STATEMENTS_SHOWN]
    rows = [(statement, payment_state(statement)) for statement in statements]
    return render_portal(request, "portal/statements.html", {"nav": "statements", "rows": rows})


@require_GET
@customer_required
def statement_pdf(request: PortalRequest, statement_id: int) -> HttpResponse:
    statement = Statement.objects.filter(
        shop_id=request.portal.shop.pk, account_id=request.portal.account.pk, pk=statement_id
    ).first()
    if statement is None:
        raise Http404("no such statement on this account")
    response = HttpResponse(render_statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.number}.pdf"'
    return response
