"""Customers, credit accounts, the customer page (Account tab) and its money forms.

Every view: `member_required(permission)`, the access helper (404 for another shop's id), a
form, one service, then render or redirect (POST, redirect, GET). A ledger refusal is shown next
to its field, never as a 500.
"""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ardoise.core.htmx import htmx_target
from ardoise.core.money import format_money
from ardoise.customers.services import EDITABLE_FIELDS, update_customer
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import CreditLimitExceeded, LedgerError
from ardoise.ledger.models import Account
from ardoise.ledger.selectors import charges_named, open_charges
from ardoise.payments import deposits
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff import repeats
from ardoise.staff.access import get_account_for_member, get_customer_for_member, member_required
from ardoise.staff.customers import movements, selectors
from ardoise.staff.customers.forms import (
    ApplyDepositForm,
    CreditLimitForm,
    CustomerForm,
    DeactivateForm,
    NewCustomerForm,
)
from ardoise.staff.customers.page import account_context
from ardoise.staff.customers.refusals import limit_refusal, safe_next


@member_required(Permission.CUSTOMERS_VIEW)
def customer_list(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    query = selectors.list_query(
        request.GET.dict(), sorts=selectors.CUSTOMER_SORTS, filters=selectors.CUSTOMER_FILTERS
    )
    rows = selectors.customer_rows(shop, query)
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "filters": selectors.CUSTOMER_FILTERS}
    template = "staff/customers/list.html"
    if htmx_target(request) == "results":
        template += "#results"
    return render(request, template, {**context, "nav": "customers"})


@member_required(Permission.CUSTOMERS_VIEW)
def credit_account_list(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    query = selectors.list_query(
        request.GET.dict(), sorts=selectors.ACCOUNT_SORTS, filters=selectors.CUSTOMER_FILTERS
    )
    rows = selectors.credit_account_rows(shop, query)
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "filters": selectors.CUSTOMER_FILTERS}
    template = "staff/customers/credit_accounts.html"
    if htmx_target(request) == "results":
        template += "#results"
    return render(request, template, {**context, "nav": "credit_accounts"})


@member_required(Permission.CUSTOMERS_EDIT)
@require_http_methods(["GET", "POST"])
def customer_create(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    form = NewCustomerForm(request.POST or None, default_limit=shop.default_credit_limit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            customer = ledger.create_customer_with_account(
                shop_id=shop.pk,
                actor=request.user,
                fields={name: data[name] for name in EDITABLE_FIELDS},
                credit_limit=data["credit_limit"],
                idempotency_key=data["idempotency_key"],
            )
        except LedgerError as error:
            form.refuse(error)
        else:
            messages.success(request, _("Customer created."))
            return redirect("staff:customer_account", customer.pk)
    context = {"form": form, "nav": "customers"}
    return render(request, "staff/customers/form.html", context, status=movements.status(form))


@member_required(Permission.CUSTOMERS_EDIT)
@require_http_methods(["GET", "POST"])
def customer_edit(request: MemberRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for_member(
        request.membership, customer_id, perm=Permission.CUSTOMERS_EDIT
    )
    form = CustomerForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        customer.refresh_from_db()  # the form wrote into the instance; compare with the row
        update_customer(customer=customer, actor_id=request.user.pk, **fields)
        messages.success(request, _("Customer saved."))
        return redirect("staff:customer_account", customer.pk)
    context = {"form": form, "customer": customer, "tab": "details", "nav": "customers"}
    return render(request, "staff/customers/form.html", context, status=movements.status(form))


@member_required(Permission.CUSTOMERS_VIEW)
def customer_account(request: MemberRequest, customer_id: int) -> HttpResponse:
    account = get_account_for_member(request.membership, customer_id)
    context = account_context(request, account)
    template = "staff/customers/account.html"
    if htmx_target(request) == "activity":
        template += "#activity"
    return render(request, template, context)


@member_required(Permission.CUSTOMERS_CREDIT_LIMIT)
@require_http_methods(["POST"])
def customer_credit_limit(request: MemberRequest, customer_id: int) -> HttpResponse:
    account = get_account_for_member(
        request.membership, customer_id, perm=Permission.CUSTOMERS_CREDIT_LIMIT
    )
    form = CreditLimitForm(request.POST)
    if form.is_valid():
        try:
            ledger.change_credit_limit(
                account=account,
                credit_limit=form.cleaned_data["credit_limit"],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except LedgerError as error:
            form.refuse(error, "credit_limit")
        else:
            messages.success(request, _("Credit limit saved."))
            return redirect("staff:customer_account", customer_id)
    context = account_context(request, account, limit_form=form)
    return render(request, "staff/customers/account.html", context, status=400)


@member_required(Permission.PAYMENTS_RECORD)
@require_http_methods(["POST"])
def customer_apply_deposit(request: MemberRequest, customer_id: int) -> HttpResponse:
    account = get_account_for_member(
        request.membership, customer_id, perm=Permission.PAYMENTS_RECORD
    )
    form = ApplyDepositForm(request.POST, charges=list(open_charges(account)))
    # The key as the form reads it: one no page makes (a NUL, too long) was never applied.
    key = "" if form.is_valid() else form.cleaned_data.get("idempotency_key", "")
    if key and deposits.was_applied(shop_id=account.shop_id, idempotency_key=key):
        # Sent already: the charges it paid are no longer open, so the form cannot name them.
        # The service says whether it is the same request (its first result) or another.
        form = ApplyDepositForm(
            request.POST, charges=list(charges_named(account, request.POST.getlist("charges")))
        )
    if form.is_valid():
        try:
            applied = deposits.apply_deposit(
                account=account,
                charge_ids=form.cleaned_data["charges"],
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except LedgerError as error:
            form.refuse(error, "charges")
        else:
            amount = format_money(applied, account.currency)
            messages.success(request, _("%(amount)s of the deposit applied.") % {"amount": amount})
            return redirect("staff:customer_account", customer_id)
    context = account_context(request, account, deposit_form=form)
    return render(request, "staff/customers/account.html", context, status=400)


@member_required(Permission.CUSTOMERS_CREDIT_LIMIT)
@require_http_methods(["GET", "POST"])
def customer_deactivate(request: MemberRequest, customer_id: int) -> HttpResponse:
    account = get_account_for_member(
        request.membership, customer_id, perm=Permission.CUSTOMERS_CREDIT_LIMIT
    )
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ledger.change_credit_limit(
                account=account,
                credit_limit=0,
                actor=request.user,
                idempotency_key=form.cleaned_data["idempotency_key"],
                reason="deactivated",
            )
        except LedgerError as error:
            form.refuse(error)
        else:
            messages.success(request, _("Credit account deactivated: the credit limit is now 0."))
            return redirect("staff:customer_account", customer_id)
    context = {"account": account, "customer": account.customer, "form": form, "tab": "account"}
    return render(request, "staff/customers/deactivate.html", {**context, "nav": "customers"})


@repeats.restorable
@member_required(Permission.CUSTOMERS_VIEW)
@require_http_methods(["GET", "POST"])
def customer_movement(request: MemberRequest, customer_id: int, kind: str) -> HttpResponse:
    movement = movements.get_movement(kind)
    account = get_account_for_member(request.membership, customer_id, perm=movement.permission)
    form = movement.form(request, account)
    back_to = safe_next(request)
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if repeats.held(request, form, lambda: movement.twin(request, account, data)):
            return _movement_page(request, movement, account, form, status=409)
        sent = repeats.was_sent(account.shop_id, data["idempotency_key"])
        try:
            movement.record(request, account, data)
        except LedgerError as error:
            form.refuse(error, movements.field_for(error))
            if isinstance(error, CreditLimitExceeded):
                here = reverse("staff:customer_movement", args=[customer_id, kind])
                refusal = limit_refusal(
                    request, error, account.customer, back_to=here, show_message=False
                )
        else:
            messages.success(request, repeats.ALREADY_RECORDED if sent else movement.done_message)
            if back_to:
                return redirect(back_to)
            return redirect(reverse("staff:customer_account", args=[customer_id]) + "#activity")
    return _movement_page(request, movement, account, form, refusal=refusal)


def _movement_page(
    request: MemberRequest,
    movement: movements.Movement,
    account: Account,
    form: forms.BaseForm,
    *,
    refusal: str | None = None,
    status: int | None = None,
) -> HttpResponse:
    context = {"account": account, "customer": account.customer, "form": form}
    context.update(refusal=refusal, back_to=safe_next(request))
    explanation = movement.explain(auto_allocate=request.membership.shop.auto_allocate)
    context.update(movement=movement, explanation=explanation, tab="account", nav="customers")
    status = status or movements.status(form)
    return render(request, "staff/customers/movement.html", context, status=status)
