"""A portal money form sent again after Back: never a second checkout or order by mistake.

The customer's money forms carry the key made when their page was drawn, so the same page sent
twice (a double click, a page the browser restored from its back/forward cache) gives the first
result: its checkout (the provider's page while it is pending, how it went once it is not) or
its order. The pages are `restorable` (`core.repeats`: `Cache-Control: private, no-cache`, never
`no-store`), so Back restores them with their key. But a browser may also fetch the page again
(evicted from the cache, or the customer opens the form again by hand), with a new key: sent
again, it would open a second checkout, and a customer who pays both pays twice.

What each form does then is decided by what the customer meant, not by what a cashier does:

- **Top-up** (`paying.top_up`): a top-up checkout of the same amount on the same account within
  `WINDOW`, still waiting for its payment or paid. Waiting, the customer most likely came back
  from the provider's page without paying: the page offers to finish that payment (the same
  checkout, no second one opened) or, as a clear second choice, to start a new one. Paid, the
  page says so and where to see it, and asks whether to top up the same amount again. A top-up
  declined, expired or cancelled took nothing: trying again is not asked about.
- **Online order** (`ordering.order_confirm`): a portal order of the same account with the same
  products, quantities and note within `WINDOW`, not cancelled, when a second one may be placed
  (the customer may have several orders open, or that one is no longer open): the review says
  it was placed, links to it and asks whether to place it a second time. Otherwise the
  one-open-order rule refuses the second one anyway, and says so.
- **Pay what I owe** (`paying.pay_owed`), **a statement** (`paying.statement_pay`, and the
  emailed link's `views.statement_pay`) and **paying an order again** (`ordering.order_pay`)
  are not asked about: what they pay is decided by state, not by the page. What is owed is paid
  through one checkout per state of the account (`balance:<account>:<version>`), a statement
  through one live checkout per statement, an order through its own pending checkout; sent
  again they reach that checkout, and once paid there is nothing left to pay (or a new amount,
  which is a new payment). Their pages are `restorable` all the same.

Nothing is written until the customer chooses: the question is a page (409) with the form as it
was, key included, and a button that sends it again with `CONFIRM_FIELD`. The lookups read only,
and they are a courtesy, not the guard: two requests sent at the same instant may both pass
them, and each is still a checkout paid at most once (`payments.online`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.money import format_money
from ardoise.core.repeats import CONFIRM_FIELD, WINDOW, ago
from ardoise.invoicing.models import Order, OrderChannel, OrderStatus
from ardoise.ledger.models import IdempotencyRecord
from ardoise.payments.models import Checkout, CheckoutPurpose, CheckoutStatus
from ardoise.payments.quotes import CartItem
from ardoise.payments.top_ups import top_up_reference
from ardoise.portal.access import PortalContext


@dataclass(frozen=True)
class Repeat:
    """What the page says when the form repeats a payment or an order made a moment ago."""

    message: str
    see_url: str  # the first one: its payment page, receipt or order
    see_label: str
    again_label: str  # the button that makes a second one
    waiting: str  # said after the message: that nothing new happens until they choose
    resume: bool = False  # the first one waits for its payment: finishing it is the first choice


def confirmed(request: HttpRequest) -> bool:
    """The customer chose to make a second one."""
    return request.POST.get(CONFIRM_FIELD) == "1"


def top_up_repeat(portal: PortalContext, *, amount: int, key: str) -> Repeat | None:
    """The top-up of `amount` started or paid on the customer's account within WINDOW, under
    another key."""
    account = portal.account
    reference = top_up_reference(account, key)
    if Checkout.objects.filter(shop_id=account.shop_id, reference=reference).exists():
        return None  # the same page sent again: `start_top_up` gives its checkout back
    checkout = (
        Checkout.objects.filter(
            shop_id=account.shop_id,
            account_id=account.pk,
            purpose=CheckoutPurpose.TOP_UP,
            amount=amount,
            status__in=[CheckoutStatus.PENDING, CheckoutStatus.APPROVED],
            created_at__gte=timezone.now() - WINDOW,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if checkout is None:
        return None
    figures = {
        "amount": format_money(amount, account.currency),
        "ago": ago(timezone.now() - checkout.created_at),
    }
    waiting = _("Nothing new is charged until you choose.")
    if checkout.status == CheckoutStatus.PENDING:
        return Repeat(
            message=_(
                "You started a top-up of %(amount)s %(ago)s ago and it is not paid yet. You can "
                "finish that payment, or start a new one."
            )
            % figures,
            see_url=checkout.redirect_url or checkout.return_url,
            see_label=_("Finish that payment"),
            again_label=_("Start a new top-up of %(amount)s") % figures,
            waiting=waiting,
            resume=True,
        )
    receipt = reverse(
        "portal:receipt", kwargs={"shop_slug": portal.shop.slug, "credit_id": checkout.credit_id}
    )
    return Repeat(
        message=_(
            "You topped up %(amount)s %(ago)s ago, and it is on your account. Would you like to "
            "top up %(amount)s again?"
        )
        % figures,
        see_url=receipt if checkout.credit_id else checkout.return_url,
        see_label=_("See that payment"),
        again_label=_("Yes, top up %(amount)s again") % figures,
        waiting=waiting,
    )


def order_repeat(
    portal: PortalContext, *, items: Sequence[CartItem], note: str, key: str
) -> Repeat | None:
    """The same order (products, quantities, note) placed on the customer's account within
    WINDOW, under another key, and not cancelled."""
    account = portal.account
    if IdempotencyRecord.objects.filter(shop_id=account.shop_id, key=key).exists():
        return None  # the same page sent again: `place_online_order` gives its order back
    wanted = sorted((item.product_id, _quantity(item.quantity)) for item in items)
    orders = (
        Order.objects.filter(
            shop_id=account.shop_id,
            account_id=account.pk,
            channel=OrderChannel.PORTAL,
            note=note,
            created_at__gte=timezone.now() - WINDOW,
        )
        .exclude(status=OrderStatus.CANCELLED)
        .order_by("-created_at", "-id")
        .prefetch_related("lines")
    )
    for order in orders:
        made = sorted((line.product_id, _quantity(line.quantity)) for line in order.lines.all())
        if made == wanted:
            return _order_question(portal, order)
    return None


def _order_question(portal: PortalContext, order: Order) -> Repeat | None:
    if order.status == OrderStatus.OPEN and not portal.customer.allow_several_orders:
        return None  # the one-open-order rule refuses a second one, and says which is open
    figures = {
        "ago": ago(timezone.now() - order.created_at),
        "number": order.pk,
        "amount": format_money(order.total, portal.account.currency),
    }
    return Repeat(
        message=_(
            "You placed the same order %(ago)s ago (order No. %(number)s, %(amount)s). Would you "
            "like to place it a second time?"
        )
        % figures,
        see_url=reverse(
            "portal:order_detail", kwargs={"shop_slug": portal.shop.slug, "order_id": order.pk}
        ),
        see_label=_("See that order"),
        again_label=_("Yes, place it again"),
        waiting=_("Nothing new is ordered or charged until you choose."),
    )


def _quantity(value: Decimal) -> Decimal:
    # Decimals compare by value: 2 typed and 2.000 stored are the same quantity.
    return value.normalize()
