"""Public pages. No sign-in: the signed link is the key, and it opens one statement only.

Every refusal is a page that says what happened (an invalid, expired or unknown link, a
statement that cannot be paid online), never a 500, and changes nothing. Paying is not asked
about when sent again (`portal.repeats`): a statement has one live checkout, paid at most once.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import override
from django.views.decorators.http import require_GET, require_POST

from ardoise.core.repeats import restorable
from ardoise.payments.handling import refresh_live_checkout
from ardoise.payments.models import CheckoutStatus
from ardoise.statements.errors import InvalidLink, NotPayableOnline
from ardoise.statements.links import resolve_payment_link
from ardoise.statements.models import StatementLink
from ardoise.statements.rendering import statement_document
from ardoise.statements.selectors import payment_state
from ardoise.statements.services import pay_statement


def _link_error(request: HttpRequest, error: InvalidLink) -> HttpResponse:
    status = 410 if error.reason == "expired" else 404
    context = {"message": str(error), "reason": error.reason}
    return render(request, "portal/link_error.html", context, status=status)


def _statement_response(
    request: HttpRequest,
    link: StatementLink,
    token: str,
    *,
    error: NotPayableOnline | None = None,
    status: int = 200,
) -> HttpResponse:
    statement = link.statement
    with override(statement.language):  # the page, and the refusal on it, in the statement's
        state = payment_state(statement)
        context = {
            "statement": statement,
            "doc": statement_document(statement, pays_online=state.can_pay),
            "payment": state,
            "token": token,
            "error": str(error) if error else "",
        }
        return render(request, "portal/statement.html", context, status=status)


@restorable  # its Pay button moves money (core.repeats)
@require_GET
def statement_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = resolve_payment_link(token)
    except InvalidLink as error:
        return _link_error(request, error)
    # The payer may be back from the provider's page before its notification: ask it.
    statement = link.statement
    refresh_live_checkout(shop_id=statement.shop_id, reference=statement.payment_reference)
    return _statement_response(request, link, token)


@require_POST
def statement_pay(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = resolve_payment_link(token)
    except InvalidLink as error:
        return _link_error(request, error)
    return_url = request.build_absolute_uri(reverse("portal:statement", kwargs={"token": token}))
    try:
        checkout = pay_statement(link=link, return_url=return_url)
    except NotPayableOnline as error:
        return _statement_response(request, link, token, error=error, status=409)
    if checkout.status != CheckoutStatus.PENDING or not checkout.redirect_url:
        return redirect(return_url)
    return redirect(checkout.redirect_url)
