"""A sale or a debit refused over the credit limit: what it says, and what the cashier can do.

The message gives the figures ("it would owe 130,00 €; 20,00 € available") and the next steps
the member may take: take a payment first (back to where they were afterwards), or override
the limit when their role allows it, or ask someone who may.
"""

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString

from ardoise.customers.models import Customer
from ardoise.ledger.errors import CreditLimitExceeded


def limit_refusal(
    request: HttpRequest,
    error: CreditLimitExceeded,
    customer: Customer,
    *,
    back_to: str,
    show_message: bool = True,
) -> SafeString:
    """The refusal as HTML for a banner or under a form (rendered from a template)."""
    payment = reverse("staff:customer_movement", args=[customer.pk, "payment"])
    context = {
        "refusal": error,
        "customer": customer,
        "payment_url": f"{payment}?{urlencode({'next': back_to})}",
        "show_message": show_message,
    }
    return SafeString(
        render_to_string("staff/customers/_limit_refused.html", context, request=request)
    )


def safe_next(request: HttpRequest) -> str:
    """Where to go back to after a movement (a page of this site), or ""."""
    target = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target.startswith("/") and allowed else ""
