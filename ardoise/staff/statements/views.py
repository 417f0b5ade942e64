"""Statements in the back office: preview and send, print, PDF, bulk runs, settings."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.core.errors import Refusal
from ardoise.core.htmx import is_htmx
from ardoise.ledger.selectors import debtors
from ardoise.payments.models import OnlinePaymentSettings
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import get_account_for_member, member_required
from ardoise.staff.statements.access import get_run_for_member, get_statement_for_member
from ardoise.staff.statements.forms import (
    ResendForm,
    SendStatementForm,
    StartRunForm,
    StatementSettingsForm,
)
from ardoise.statements import selectors
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import RECENT_STATEMENT
from ardoise.statements.rendering import (
    draft_document,
    render_statement_pdf,
    statement_document,
)
from ardoise.statements.services import (
    queue_statement_email,
    resume_statement_run,
    start_statement_run,
    update_statement_settings,
)

SEND = Permission.STATEMENTS_SEND


def _queued_banner(request: MemberRequest, number: int, email: str) -> None:
    messages.success(
        request,
        _("Statement No. %(number)s is queued for sending to %(email)s.")
        % {"number": number, "email": email},
    )


@member_required(SEND)
@require_http_methods(["GET", "POST"])
def statement_preview(request: MemberRequest, customer_id: int) -> HttpResponse:
    """The statement as it would be now; Send (or Print, PDF) stores the numbered snapshot."""
    account = get_account_for_member(request.membership, customer_id, perm=SEND)
    form = SendStatementForm(request.POST or None, initial={"email": account.customer.email})
    if form.is_valid():
        data = form.cleaned_data
        try:
            statement = issue_statement(
                account=account,
                actor=request.membership.user,
                idempotency_key=data["idempotency_key"],
            )
            if data["action"] != "send":
                return redirect(f"staff:statement_{data['action']}", statement.pk)
            send = queue_statement_email(
                statement=statement,
                email=data["email"],
                actor=request.membership.user,
                idempotency_key=data["idempotency_key"] + ":send",
            )
        except Refusal as error:
            form.refuse(error, "email")
        else:
            _queued_banner(request, statement.number, send.email)
            return redirect("staff:statement_detail", statement.pk)
    context = {"account": account, "customer": account.customer, "form": form}
    context["doc"] = draft_document(account)
    return render(request, "staff/statements/preview.html", context)


@member_required(SEND)
def statement_detail(request: MemberRequest, statement_id: int) -> HttpResponse:
    statement = get_statement_for_member(request.membership, statement_id)
    context = {
        "statement": statement,
        "customer": statement.customer,
        "doc": statement_document(statement),
        "payment": selectors.payment_state(statement),
        "sends": statement.sends.all(),
        "form": ResendForm(initial={"email": statement.customer.email}),
    }
    return render(request, "staff/statements/detail.html", context)


@member_required(SEND)
@require_POST
def statement_send(request: MemberRequest, statement_id: int) -> HttpResponse:
    statement = get_statement_for_member(request.membership, statement_id)
    form = ResendForm(request.POST)
    if form.is_valid():
        try:
            send = queue_statement_email(
                statement=statement,
                email=form.cleaned_data["email"],
                actor=request.membership.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except Refusal as error:
            messages.error(request, str(error))
        else:
            _queued_banner(request, statement.number, send.email)
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("staff:statement_detail", statement.pk)


@member_required(SEND)
def statement_print(request: MemberRequest, statement_id: int) -> HttpResponse:
    statement = get_statement_for_member(request.membership, statement_id)
    context = {
        "doc": statement_document(statement),
        "back_url": reverse("staff:statement_detail", args=[statement.pk]),
        "pdf_url": reverse("staff:statement_pdf", args=[statement.pk]),
    }
    return render(request, "statements/print.html", context)


@member_required(SEND)
def statement_pdf(request: MemberRequest, statement_id: int) -> HttpResponse:
    """Rendered on demand, outside any transaction (no ATOMIC_REQUESTS)."""
    statement = get_statement_for_member(request.membership, statement_id)
    response = HttpResponse(render_statement_pdf(statement), content_type="application/pdf")
    filename = f"statement-{statement.number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@member_required(SEND)
@require_http_methods(["GET", "POST"])
def statement_runs(request: MemberRequest) -> HttpResponse:
    """Bulk runs: start one for every customer who owes at least an amount, list the others."""
    shop = request.membership.shop
    form = StartRunForm(request.POST or None)
    if form.is_valid():
        try:
            run = start_statement_run(
                shop=shop,
                minimum_debt=form.cleaned_data["minimum_debt"],
                actor=request.membership.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                include_recent=form.cleaned_data["include_recent"],
            )
        except Refusal as error:
            form.refuse(error)
        else:
            messages.success(request, _("The statement run is queued."))
            return redirect("staff:statement_run_detail", run.pk)
    since = timezone.now() - RECENT_STATEMENT
    debtor_ids = set(debtors(shop.pk).values_list("id", flat=True))
    context = {
        "form": form,
        "runs": selectors.runs_for_shop(shop.pk)[:20],
        "debtor_count": len(debtor_ids),
        "recent_run": selectors.latest_run_since(shop.pk, since=since),
        "recent_count": len(selectors.recently_sent_account_ids(shop.pk, since=since) & debtor_ids),
        "nav": "statements",
    }
    return render(request, "staff/statements/runs.html", context)


@member_required(SEND)
def statement_run_detail(request: MemberRequest, run_id: int) -> HttpResponse:
    run = get_run_for_member(request.membership, run_id)
    context = {
        "run": run,
        "state": run.state(),
        "progress": selectors.run_progress(run),
        "problems": selectors.run_problems(run)[:200],
        "reasons": selectors.REASON_LABELS,
        "nav": "statements",
    }
    template = "staff/statements/run_detail.html"
    if is_htmx(request):
        template += "#progress"
    return render(request, template, context)


@member_required(SEND)
@require_POST
def statement_run_resume(request: MemberRequest, run_id: int) -> HttpResponse:
    run = get_run_for_member(request.membership, run_id)
    resume_statement_run(run=run, actor=request.membership.user)
    messages.success(request, _("The statement run is queued again."))
    return redirect("staff:statement_run_detail", run.pk)


@member_required(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def statement_settings(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    provider = (
        OnlinePaymentSettings.objects.filter(shop=shop).values_list("provider", flat=True).first()
    )
    form = StatementSettingsForm(
        request.POST or None, request.FILES or None, instance=shop, provider=provider or ""
    )
    if form.is_valid():
        update_statement_settings(
            shop=shop,
            actor=request.membership.user,
            provider=form.cleaned_data["provider"],
            **form.settings_fields(),
        )
        messages.success(request, _("Settings saved."))
        return redirect("staff:statement_settings")
    return render(request, "staff/statements/settings.html", {"form": form, "nav": "settings"})
