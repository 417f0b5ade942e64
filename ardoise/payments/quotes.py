"""What an online order costs the customer: the basket's lines at the catalogue's prices, and
the quote, the amount to pay online after the balance (issue 12).

- **Payment required**: the order total less the positive balance not already held for other
  orders, plus what is owed (20 € ordered: +5 € → pay 15 €; −5 € → pay 25 €; +50 € → nothing to
  pay). The balance counts net of reservations: what other orders hold is not the customer's to
  spend again, and what they will charge is owed already (when nothing is held, the balance).
- **Payment not required**: what the customer can spend (balance + credit limit − reservations)
  covers the order, or they pay the part it does not cover.

`quote` reads the account it is given; the use cases (`payments.orders`) give it the locked row
and the ledger's guarded reservation still admits or refuses.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ardoise.invoicing.models import Product
from ardoise.invoicing.totals import MAX_QUANTITY, QUANTITY_PLACES, LineInput
from ardoise.ledger.models import Account
from ardoise.payments.errors import InvalidQuantity, ProductNotOrderable
from ardoise.shops.models import Shop

MAX_ITEMS = 200


@dataclass(frozen=True)
class Quote:
    """What an order of `total` costs the customer online, given their account now.

    `on_account` is the part the account covers (held for the order: the positive balance when
    payment is required, balance and credit when it is not), `debt` what the customer owes now
    and pays with the order (payment required only), `to_pay` what they pay online.
    """

    total: int
    on_account: int
    debt: int
    to_pay: int
    payment_required: bool

    @property
    def accepted_at_once(self) -> bool:
        return self.to_pay == 0


def quote(*, total: int, account: Account, payment_required: bool | None = None) -> Quote:
    """The amount to pay after the balance, from the account as given (a read: the services
    decide on the locked row). `payment_required` defaults to the shop's setting."""
    if payment_required is None:
        payment_required = Shop.objects.values_list("order_payment_required", flat=True).get(
            pk=account.shop_id
        )
    if payment_required:
        # What other orders hold is not the customer's to spend again, and what they will
        # charge is owed already: the balance counts net of reservations (equal to the balance
        # itself when nothing is held).
        net = account.balance - account.reserved
        on_account = min(total, max(net, 0))
        debt = max(-net, 0)
        return Quote(total, on_account, debt, total - on_account + debt, True)
    available = account.available_credit  # balance + limit − reservations; None: no limit
    on_account = total if available is None else min(total, available)
    return Quote(total, on_account, 0, total - on_account, False)


@dataclass(frozen=True)
class CartItem:
    """One product of the shop's catalogue, and how much of it (a Decimal, 3 decimals)."""

    product_id: int
    quantity: Decimal


def _quantity(value: object) -> Decimal:
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or not Decimal(0) < value < MAX_QUANTITY
        or value.as_tuple().exponent < -QUANTITY_PLACES  # type: ignore[operator]
    ):
        raise InvalidQuantity()
    return value


def lines_from_catalogue(shop_id: int, items: Sequence[CartItem]) -> list[LineInput]:
    """The order lines of a basket, at the catalogue's prices (a customer names products and
    quantities, never a price). An unknown, archived or repeated product is refused."""
    if not items or len(items) > MAX_ITEMS:
        raise ProductNotOrderable()
    ids = [item.product_id for item in items]
    if len(set(ids)) != len(ids) or any(type(pk) is not int for pk in ids):
        raise ProductNotOrderable()
    products = Product.objects.for_shop(shop_id).active().in_bulk(ids)
    if len(products) != len(ids):
        raise ProductNotOrderable()
    return [
        LineInput(
            description=products[item.product_id].name,
            quantity=_quantity(item.quantity),
            unit_price=products[item.product_id].unit_price,
            vat_rate=products[item.product_id].vat_rate,
            unit=products[item.product_id].unit,
            product_id=item.product_id,
        )
        for item in items
    ]
