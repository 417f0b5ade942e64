"""The Payments page: one week of money received, by the day it came in. A row per invoice issued
that week or paid that week, a column per accepted mode where amounts are typed in place (HTMX
posts one row; without JavaScript, Save posts all), and a row per other movement of the week
(a payment on account, a top-up, a refund paid out). Every figure comes from
`payments.selectors.money_received`, the one reading the exports and the Account tab share."""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_stubs_ext import StrOrPromise

from ardoise.core.forms import new_key, parse_amount
from ardoise.core.htmx import refresh_page
from ardoise.core.ids import parse_id, parse_ids
from ardoise.core.money import MoneyError
from ardoise.invoicing.models import Invoice
from ardoise.ledger.errors import LedgerError
from ardoise.payments import selectors
from ardoise.payments import services as payments
from ardoise.payments import week as weeks
from ardoise.payments.models import BuiltInMode, PaymentMode
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.sales.forms import AMOUNT_MESSAGES

Errors = dict[tuple[int, str], str]


@dataclass(frozen=True)
class Column:
    """A mode column: typed in place when the shop accepts the mode, read-only otherwise (money
    that came in by a mode since switched off, or paid online)."""

    code: str
    label: StrOrPromise
    is_editable: bool

    @property
    def is_deduction(self) -> bool:
        return self.code == selectors.ACCOUNT


@dataclass(frozen=True)
class Days:
    """The days a typed amount may be received on: the week shown, never after today."""

    monday: dt.date
    last: dt.date  # the Sunday, or today in the current week
    chosen: dt.date

    @property
    def is_open(self) -> bool:
        return self.monday <= self.last


def _monday(request: MemberRequest) -> dt.date:
    value = request.GET.get("week") or request.POST.get("week") or ""
    return weeks.parse_week(value, timezone.localdate())


def _days(request: MemberRequest, monday: dt.date) -> Days:
    last = min(monday + dt.timedelta(days=6), timezone.localdate())
    try:
        chosen = dt.date.fromisoformat(request.POST.get("received_on", ""))
    except ValueError:
        chosen = last
    return Days(monday=monday, last=last, chosen=chosen)


def _week(request: MemberRequest, errors: Errors | None = None) -> dict:
    shop_id = request.membership.shop_id
    modes = list(PaymentMode.objects.for_shop(shop_id))
    accepted = [mode for mode in modes if mode.is_accepted]
    monday = _monday(request)
    week = weeks.payments_week(shop_id, monday, [mode.code for mode in accepted])
    labels = {mode.code: mode.label for mode in modes}
    # Only a provider's confirmation records an online payment: its column is read-only.
    editable = {mode.code for mode in accepted if mode.code != BuiltInMode.ONLINE}
    return {
        "week": week,
        "days": _days(request, monday),
        "earlier": None if week.rows else weeks.latest_invoice_day_before(shop_id, monday),
        "modes": [Column(code, labels.get(code, code), code in editable) for code in week.modes],
        "errors": _by_row(errors or {}),
        "new_key": new_key,
        "nav": "payments",
    }


def _by_row(errors: Errors) -> dict[int, dict[str, str]]:
    """{invoice id: {mode: message}}, the shape the template looks up cell by cell."""
    nested: dict[int, dict[str, str]] = {}
    for (invoice_id, mode), message in errors.items():
        nested.setdefault(invoice_id, {})[mode] = message
    return nested


def _cell_key(row_key: str, mode: str, version: str) -> str:
    return hashlib.sha256(f"{row_key}:{mode}:{version}".encode()).hexdigest()[:40]


def _save_row(
    request: MemberRequest, invoice: Invoice, modes: list[str], days: Days, errors: Errors
) -> int:
    """Apply the cells of one invoice row that were typed; returns how many changed. A cell is
    what came in by its mode for the invoice during the week shown; a new amount is received on
    the day chosen above the grid."""
    changed = 0
    row_key = request.POST.get(f"key-{invoice.pk}", "") or new_key()
    for mode in modes:
        field = f"amount-{invoice.pk}-{mode}"
        if field not in request.POST:
            continue
        text, version = request.POST[field], request.POST.get(f"version-{invoice.pk}-{mode}", "0")
        if not days.monday <= days.chosen <= days.last:
            errors[(invoice.pk, mode)] = _(
                "Choose a day of this week, today at the latest, as the day it was received."
            )
            continue
        try:
            amount = parse_amount(text) if text.strip() else 0
            result = payments.set_settled_amount(
                invoice=invoice,
                mode=mode,
                amount=amount,
                version=_version(version),
                actor=request.user,
                idempotency_key=_cell_key(row_key, mode, version),
                received_on=days.chosen,
                received_between=(days.monday, days.monday + dt.timedelta(days=6)),
            )
        except MoneyError:
            errors[(invoice.pk, mode)] = str(AMOUNT_MESSAGES["invalid"])
        except LedgerError as error:
            errors[(invoice.pk, mode)] = str(error)
        else:
            changed += result is not None
    return changed


def _unreadable(request: MemberRequest, invoices: list[Invoice], modes: list[str]) -> Errors:
    """The typed cells that no ledger rule needs to look at: not an amount, or below zero. A
    Save with one of them saves no cell at all, so a page answered with errors wrote nothing
    (each cell is its own business event: a cell the ledger refuses leaves the others saved)."""
    errors: Errors = {}
    for invoice in invoices:
        for mode in modes:
            text = request.POST.get(f"amount-{invoice.pk}-{mode}", "")
            try:
                if text.strip() and parse_amount(text) < 0:
                    errors[(invoice.pk, mode)] = str(AMOUNT_MESSAGES["negative"])
            except MoneyError:
                errors[(invoice.pk, mode)] = str(AMOUNT_MESSAGES["invalid"])
    return errors


def _version(text: str) -> int:
    """The version the page showed for a cell; -1 (no version there is) when it is not one."""
    version = parse_id(text)
    return -1 if version is None else version


def _invoices(request: MemberRequest, ids: list[str]) -> list[Invoice]:
    wanted = parse_ids(ids)
    return list(Invoice.objects.for_shop(request.membership.shop_id).filter(pk__in=wanted))


@member_required(Permission.PAYMENTS_RECORD)
def payments_week(request: MemberRequest) -> HttpResponse:
    errors: Errors = {}
    if request.method == "POST":
        modes = [mode.code for mode in selectors.accepted_modes(request.membership.shop_id)]
        days = _days(request, _monday(request))
        invoices = _invoices(request, request.POST.getlist("row"))
        errors = _unreadable(request, invoices, modes)
        for invoice in invoices if not errors else []:
            _save_row(request, invoice, modes, days, errors)
        if not errors:
            messages.success(request, _("Payments saved."))
            return redirect(f"{reverse('staff:payments_week')}?week={request.POST.get('week', '')}")
    context = _week(request, errors)
    return render(request, "staff/sales/payments_week.html", context, status=400 if errors else 200)


@require_POST
@member_required(Permission.PAYMENTS_RECORD)
def payments_row(request: MemberRequest, invoice_id: int) -> HttpResponse:
    """HTMX: one row typed in place. The answer carries only what changed (the row's versions
    and errors, what is still owed, the totals), each swapped out of band by id: the inputs are
    never redrawn, so what the cashier is typing in the next cell is kept."""
    errors: Errors = {}
    modes = [mode.code for mode in selectors.accepted_modes(request.membership.shop_id)]
    if request.POST.get("cell") in modes:
        # HTMX posts the whole form; only the cell that changed is saved, not one still typed.
        modes = [request.POST["cell"]]
    days = _days(request, _monday(request))
    invoices = _invoices(request, [str(invoice_id)]) or _not_found()
    errors = _unreadable(request, invoices, modes)
    for invoice in invoices if not errors else []:
        _save_row(request, invoice, modes, days, errors)
    context = _week(request, errors)
    row = next(
        (row for row in context["week"].rows if row.invoice and row.invoice.pk == invoice_id), None
    )
    if row is None:  # the invoice is not in the week the page shows: reload the page
        return refresh_page()
    context.update(row=row, oob=True)
    return render(request, "staff/sales/payments_row.html", context, status=200)


def _not_found() -> list[Invoice]:
    from django.http import Http404

    raise Http404("no such invoice in this shop")
