"""Sales: the list, a new sale or order (quick keying), the order page, delivery, the catalogue."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.core.forms import IdempotentForm, new_key
from ardoise.core.htmx import htmx_target
from ardoise.core.ids import parse_id
from ardoise.customers.models import Customer
from ardoise.invoicing import selectors, services
from ardoise.invoicing.errors import DuplicateProductName
from ardoise.invoicing.models import Order, OrderStatus
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import CreditLimitExceeded, LedgerError
from ardoise.ledger.models import Account
from ardoise.ledger.selectors import account_for_customer
from ardoise.ledger.services.reservations import held_for
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff import repeats
from ardoise.staff.access import member_required, require
from ardoise.staff.customers.refusals import limit_refusal
from ardoise.staff.sales.access import get_order_for_member, get_product_for_member
from ardoise.staff.sales.forms import CancelOrderForm, ProductForm, SaleFilterForm, SaleForm

SALES_PAGE_SIZE = 50
# The element an HTMX request swaps on the new-sale page, and the partial that renders it.
PICKER_PARTIALS = {"customer-picker": "customer_picker", "customer-results": "customer_results"}


@member_required(Permission.SALES_VIEW)
def sale_list(request: MemberRequest) -> HttpResponse:
    statuses = [(code, label) for code, (label, _q) in selectors.SALE_STATUSES.items()]
    form = SaleFilterForm(request.GET, statuses=statuses)
    query = form.query()
    orders = selectors.sales_for_shop(request.membership.shop_id, query)
    page = Paginator(orders, SALES_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "query": query, "page": page, "nav": "sales"}
    template = "staff/sales/sale_list.html"
    if htmx_target(request) == "results":
        template += "#results"
    return render(request, template, context)


def _account(customer: Customer) -> Account:
    account = account_for_customer(customer.shop_id, customer.pk)
    if account is None:  # customers created before accounts existed get theirs now
        account = ledger.open_account(
            customer=customer, actor=None, idempotency_key=f"open-account-{customer.pk}"
        )
    return account


def _sale_form(request: MemberRequest) -> SaleForm:
    shop_id = request.membership.shop_id
    products = list(selectors.products_for_shop(shop_id))
    initial = {"customer": request.GET.get("customer", "")}
    data = request.POST if request.method == "POST" else None
    return SaleForm(data, initial=initial, shop_id=shop_id, products=products)


def _customer_picker(request: MemberRequest, form: SaleForm) -> dict[str, Any]:
    """Who the sale is for: the customer chosen (with what the account may still take), or the
    customers matching what was typed. Without JavaScript the search is a plain GET form."""
    shop = request.membership.shop
    chosen = str(form["customer"].value() or "")
    customer_id = parse_id(chosen)
    picked = selectors.customer_for_sale(shop, customer_id) if customer_id is not None else None
    text = request.GET.get("customer_q", "").strip()[:100]
    matches = selectors.customers_for_sale(shop, text) if picked is None else []
    return {"picked": picked, "customer_q": text, "matches": matches}


def _require_delivery(request: MemberRequest) -> bool:
    """Deliver (and override the limit, when asked) or 403: checked before anything is written,
    so a forged "deliver" from a role that may only take orders creates no order either."""
    require(request.membership, Permission.SALES_DELIVER)
    override = request.POST.get("override") == "1"
    if override:
        require(request.membership, Permission.ACCOUNTS_OVERRIDE_LIMIT)
    return override


@repeats.restorable
@member_required(Permission.SALES_CREATE)
def sale_new(request: MemberRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "deliver":
        _require_delivery(request)
    form = _sale_form(request)
    held = False
    if request.method == "POST" and form.is_valid():
        held = repeats.held(request, form, lambda: _sale_twin(request, form))
    if request.method == "POST" and form.is_valid() and not held:
        key = form.cleaned_data["idempotency_key"]
        sent = repeats.was_sent(request.membership.shop_id, key)
        try:
            order = services.create_order(
                account=_account(form.cleaned_data["customer"]),
                lines=form.lines,
                note=form.cleaned_data["note"],
                actor=request.user,
                idempotency_key=key,
            )
        except LedgerError as error:
            form.refuse(error)
        else:
            if request.POST.get("action") == "deliver":
                return _deliver(request, order, f"{order.idempotency_key}:deliver", sent=sent)
            messages.success(
                request,
                repeats.ALREADY_RECORDED
                if sent
                else _("Order saved. It is not in the account until delivered."),
            )
            return redirect("staff:order_detail", order.pk)
    context = {"form": form, "products": form.products.values(), "nav": "sales"}
    context |= _customer_picker(request, form)
    template, target = "staff/sales/sale_new.html", htmx_target(request)
    if target in PICKER_PARTIALS:
        template += f"#{PICKER_PARTIALS[target]}"
    status = 409 if held else 400 if form.errors else 200
    return render(request, template, context, status=status)


def _sale_twin(request: MemberRequest, form: SaleForm) -> repeats.Twin | None:
    data = form.cleaned_data
    customer = data["customer"]
    account = account_for_customer(customer.shop_id, customer.pk)  # a read: asking writes nothing
    if account is None:
        return None
    return repeats.sale_twin(
        account=account, actor=request.user, lines=form.lines, note=data["note"]
    )


def _deliver(request: MemberRequest, order: Order, key: str, *, sent: bool = False) -> HttpResponse:
    override = _require_delivery(request)
    try:
        invoice = services.deliver_order(
            order=order,
            actor=request.user,
            idempotency_key=key,
            override_by=request.user if override else None,
        )
    except CreditLimitExceeded as error:
        back_to = reverse("staff:order_detail", args=[order.pk])
        messages.error(request, limit_refusal(request, error, order.customer, back_to=back_to))
        return redirect(back_to)
    except LedgerError as error:
        messages.error(request, str(error))
        return redirect("staff:order_detail", order.pk)
    done = _("Delivered: invoice %(number)s issued.") % {"number": invoice.number}
    messages.success(request, repeats.ALREADY_RECORDED if sent else done)
    return redirect("staff:charge_detail", invoice.charge_id)


@member_required(Permission.SALES_VIEW)
def order_detail(request: MemberRequest, order_id: int) -> HttpResponse:
    order = get_order_for_member(request.membership, order_id)
    if order.status == OrderStatus.DELIVERED:
        return redirect("staff:charge_detail", order.invoice.charge_id)
    context = {"order": order, "lines": order.lines.all(), "key": new_key(), "nav": "sales"}
    if order.is_open:  # what the account may still take, read before delivering
        context["who"] = selectors.customer_for_sale(request.membership.shop, order.customer_id)
        hold = held_for(account=order.account, reference=order.reservation_reference)
        held = hold.amount if hold is not None else 0
        # What delivering may charge: what the account can spend, plus this order's own hold.
        account = order.account
        room = None
        if account.credit_limit is not None:
            room = account.balance + account.credit_limit - account.reserved + held
        context.update(held=held, room=room)
    return render(request, "staff/sales/order_detail.html", context)


@require_POST
@member_required(Permission.SALES_DELIVER)
def order_deliver(request: MemberRequest, order_id: int) -> HttpResponse:
    order = get_order_for_member(request.membership, order_id, perm=Permission.SALES_DELIVER)
    form = IdempotentForm(request.POST)
    if not form.is_valid():  # no key, or not one a page makes (too long, a NUL)
        messages.error(request, _("The page was out of date. Nothing was recorded."))
        return redirect("staff:order_detail", order.pk)
    return _deliver(request, order, form.cleaned_data["idempotency_key"])


@require_POST
@member_required(Permission.SALES_DELIVER)
def order_cancel(request: MemberRequest, order_id: int) -> HttpResponse:
    order = get_order_for_member(request.membership, order_id, perm=Permission.SALES_DELIVER)
    form = CancelOrderForm(request.POST)
    if not form.is_valid():  # a reason no text column holds (a NUL)
        messages.error(request, _("The page was out of date. Nothing was recorded."))
        return redirect("staff:order_detail", order.pk)
    try:
        services.cancel_order(order=order, actor=request.user, reason=form.cleaned_data["reason"])
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Order cancelled. Nothing was posted to the account."))
    return redirect("staff:order_detail", order.pk)


@member_required(Permission.SALES_VIEW)
def product_list(request: MemberRequest) -> HttpResponse:
    products = selectors.products_for_shop(request.membership.shop_id, include_archived=True)
    form = ProductForm(request.POST or None)
    if request.method == "POST":
        require(request.membership, Permission.SETTINGS_MANAGE)
        if form.is_valid():
            try:
                services.create_product(
                    shop_id=request.membership.shop_id,
                    actor=request.user,
                    **{k: form.cleaned_data[k] for k in ("name", "unit", "unit_price", "vat_rate")},
                )
            except DuplicateProductName as error:
                form.add_error("name", str(error))
            except LedgerError as error:
                form.add_error(None, str(error))
            else:
                return redirect("staff:product_list")
    context = {"products": products, "form": form, "nav": "sales"}
    status = 400 if form.errors else 200
    return render(request, "staff/sales/product_list.html", context, status=status)


@member_required(Permission.SETTINGS_MANAGE)
def product_edit(request: MemberRequest, product_id: int) -> HttpResponse:
    product = get_product_for_member(request.membership, product_id)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        fields = ("name", "unit", "unit_price", "vat_rate", "is_archived")
        try:
            services.update_product(
                product=get_product_for_member(request.membership, product_id),
                actor=request.user,
                **{k: form.cleaned_data[k] for k in fields},
            )
        except DuplicateProductName as error:
            form.add_error("name", str(error))
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            return redirect("staff:product_list")
    context = {"product": product, "form": form, "nav": "sales"}
    status = 400 if form.errors else 200
    return render(request, "staff/sales/product_edit.html", context, status=status)
