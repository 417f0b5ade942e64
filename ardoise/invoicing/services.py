"""Invoicing use cases: the catalogue, orders, delivery (the invoice and its charge), cancelling.

Money is written only by `ardoise.ledger.services`; these services compose them. Delivering an
order is one business event: in one transaction it locks the order, bumps the shop's invoice
counter for the year (an UPDATE with F(), which holds the counter row's lock until commit, so
numbers are gap-free: a refused posting rolls the number back with everything else), posts the
charge and writes the invoice. Settling an invoice by mode lives in `payments.services`, which
knows the modes a shop accepts.
"""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.invoicing.errors import (
    DuplicateProductName,
    EmptyOrder,
    InvalidLine,
    OrderNotOpen,
    OrderTooLarge,
)
from ardoise.invoicing.models import (
    Invoice,
    InvoiceCounter,
    Order,
    OrderChannel,
    OrderLine,
    OrderPaymentState,
    OrderStatus,
    OrderVat,
    Product,
    Unit,
    format_invoice_number,
)
from ardoise.invoicing.totals import (
    MAX_UNIT_PRICE,
    PRICE_PLACES,
    LineError,
    LineInput,
    LineTooLarge,
    compute_totals,
)
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop, User

# --- Catalogue --------------------------------------------------------------------------------


def _product_fields(name: str, unit: str, unit_price: Decimal, vat_rate: Decimal) -> dict:
    name = name.strip()
    if not name or unit not in Unit.values:
        raise InvalidLine()
    if (
        not isinstance(unit_price, Decimal)
        or not unit_price.is_finite()
        or not Decimal(0) <= unit_price < MAX_UNIT_PRICE
        or unit_price.as_tuple().exponent < -PRICE_PLACES  # type: ignore[operator]
    ):
        raise InvalidLine()
    if (
        not isinstance(vat_rate, Decimal)
        or not vat_rate.is_finite()
        or not Decimal(0) <= vat_rate < Decimal(100)
        or vat_rate.as_tuple().exponent < -2  # type: ignore[operator]
    ):
        raise InvalidLine()
    return {"name": name, "unit": unit, "unit_price": unit_price, "vat_rate": vat_rate}


def _refuse_duplicate_name(shop_id: int, name: str, *, product_id: int | None = None) -> None:
    """A second active product of the same name is refused (a double click on Add included):
    read first for the message, and the unique constraint decides between two at once."""
    others = Product.objects.for_shop(shop_id).active().filter(name__iexact=name)
    if product_id is not None:
        others = others.exclude(pk=product_id)
    if others.exists():
        raise DuplicateProductName(name=name)


def create_product(
    *,
    shop_id: int,
    actor: User | None,
    name: str,
    unit: str,
    unit_price: Decimal,
    vat_rate: Decimal,
) -> Product:
    """A catalogue product; its price includes VAT and may have up to 4 decimals (per kg)."""
    fields = _product_fields(name, unit, unit_price, vat_rate)
    _refuse_duplicate_name(shop_id, fields["name"])
    # savepoint=False: composed (the demo builds its catalogue in one transaction).
    with transaction.atomic(savepoint=False):
        try:
            with transaction.atomic():  # a savepoint: the constraint's refusal is caught
                product = Product.objects.create(shop_id=shop_id, **fields)
        except IntegrityError as error:
            raise DuplicateProductName(name=fields["name"]) from error
        record_event(
            shop_id=shop_id,
            actor_id=actor.pk if actor else None,
            action="invoicing.product.created",
            target=product,
            data={"name": product.name, "unit_price": str(unit_price)},
        )
    return product


def update_product(
    *,
    product: Product,
    actor: User | None,
    name: str,
    unit: str,
    unit_price: Decimal,
    vat_rate: Decimal,
    is_archived: bool = False,
) -> Product:
    """Changing a product never changes an order: lines keep their own copy of price and VAT."""
    fields = _product_fields(name, unit, unit_price, vat_rate)
    if not is_archived:
        _refuse_duplicate_name(product.shop_id, fields["name"], product_id=product.pk)
    # durable: a view's use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        for field, value in fields.items():
            setattr(product, field, value)
        product.is_archived = is_archived
        try:
            with transaction.atomic():
                product.save(update_fields=[*fields, "is_archived"])
        except IntegrityError as error:
            raise DuplicateProductName(name=fields["name"]) from error
        record_event(
            shop_id=product.shop_id,
            actor_id=actor.pk if actor else None,
            action="invoicing.product.updated",
            target=product,
            data={"unit_price": str(unit_price), "archived": is_archived},
        )
    return product


# --- Orders -----------------------------------------------------------------------------------


def create_order(
    *,
    account: Account,
    lines: list[LineInput],
    actor: User | None,
    idempotency_key: str,
    ordered_on: dt.date | None = None,
    note: str = "",
    channel: str = OrderChannel.COUNTER,
    payment_state: str = OrderPaymentState.NONE,
) -> Order:
    """An order, not delivered: it is not in the customer's account until it is delivered.

    Its amounts are computed once (`invoicing.totals`) and stored with its lines. The same key
    twice gives the first order back; the key of an order with other lines, another customer or
    another note is `IdempotencyConflict` (a form kept open and edited after it was sent).
    `channel` says where it was taken; an online order's `payment_state` is `payments.orders`'s
    to move.
    """
    channel = OrderChannel(channel)
    payment_state = OrderPaymentState(payment_state)
    if not idempotency_key:
        raise InvalidLine()
    if not lines:
        raise EmptyOrder()
    try:
        totals = compute_totals(lines, account.currency)
    except LineTooLarge as error:
        raise OrderTooLarge() from error
    except LineError as error:
        raise InvalidLine() from error
    if totals.total <= 0:
        raise EmptyOrder()
    first = Order.objects.filter(shop_id=account.shop_id, idempotency_key=idempotency_key).first()
    if first is not None:
        if _order_content(first) != _asked_content(account, lines, note):
            raise IdempotencyConflict()  # the key of another order: the page was out of date
        return first
    # savepoint=False: composed (the demo); its refusals are raised before the transaction.
    with transaction.atomic(savepoint=False):
        order = Order.objects.create(
            shop_id=account.shop_id,
            customer_id=account.customer_id,
            account=account,
            ordered_on=ordered_on or timezone.localdate(),
            note=note[:200],
            net_amount=totals.net_amount,
            vat_amount=totals.vat_amount,
            total=totals.total,
            idempotency_key=idempotency_key,
            created_by=actor,
            channel=channel,
            payment_state=payment_state,
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                shop_id=account.shop_id,
                order=order,
                position=position,
                product_id=line.product_id,
                description=line.description.strip()[:200],
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                amount=amount,
            )
            for position, (line, amount) in enumerate(
                zip(lines, totals.line_amounts, strict=True), start=1
            )
        )
        OrderVat.objects.bulk_create(
            OrderVat(
                shop_id=account.shop_id,
                order=order,
                rate=vat.rate,
                net_amount=vat.net_amount,
                vat_amount=vat.vat_amount,
                total=vat.total,
            )
            for vat in totals.vat_lines
        )
        record_event(
            shop_id=account.shop_id,
            actor_id=actor.pk if actor else None,
            action="invoicing.order.created",
            target=order,
            data={"total": totals.total, "lines": len(lines), "channel": channel},
        )
    return order


def _line_content(line: LineInput | OrderLine) -> tuple[object, ...]:
    return (
        line.product_id,
        line.description.strip()[:200],
        line.unit,
        line.quantity,
        line.unit_price,
        line.vat_rate,
    )


def _asked_content(account: Account, lines: list[LineInput], note: str) -> tuple[object, ...]:
    return account.pk, note[:200], [_line_content(line) for line in lines]


def _order_content(order: Order) -> tuple[object, ...]:
    lines = order.lines.order_by("position")
    return order.account_id, order.note, [_line_content(line) for line in lines]


def _next_sequence(shop_id: int, year: int) -> int:
    """Bump the year's counter; the UPDATE keeps the row locked until the transaction ends."""
    InvoiceCounter.objects.bulk_create(
        [InvoiceCounter(shop_id=shop_id, year=year)], ignore_conflicts=True
    )
    counter = InvoiceCounter.objects.filter(shop_id=shop_id, year=year)
    counter.update(last_number=F("last_number") + 1)
    return counter.values_list("last_number", flat=True).get()


def deliver_order(
    *,
    order: Order,
    actor: User | None,
    idempotency_key: str,
    override_by: User | None = None,
    delivered_at: dt.datetime | None = None,
) -> Invoice:
    """Deliver an order: issue its invoice and post its charge, in one transaction.

    Locks the order row, then the shop's invoice counter of the year, then (in `post_charge`) the
    account row. A refused charge (credit limit) rolls back the number too: numbers have no gaps.
    What an online order holds on the account (its reservation) becomes the charge: it is
    consumed in the same transaction, just before the charge's guard runs. The same key twice
    gives the first invoice back; another delivery of a delivered order is refused.
    """
    shop = Shop.objects.get(pk=order.shop_id)
    when = delivered_at or timezone.now()
    # Composed (the demo), yet a savepoint, not savepoint=False: a caller may catch its refusal
    # (the demo cancels an order over the credit limit) and go on in its own transaction.
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.DELIVERED and locked.delivery_key == idempotency_key:
            return Invoice.objects.get(order=locked)
        if locked.status != OrderStatus.OPEN:
            raise OrderNotOpen()
        issued_on = timezone.localdate(when)
        sequence = _next_sequence(shop.pk, issued_on.year)
        number = format_invoice_number(issued_on.year, sequence)
        due_on = issued_on + dt.timedelta(days=shop.payment_terms_days)
        ledger.consume(account=locked.account, reference=locked.reservation_reference, actor=actor)
        charge = ledger.post_charge(
            account=locked.account,
            total=locked.total,
            vat_amount=locked.vat_amount,
            reference=number,
            description=locked.note,
            issued_on=issued_on,
            due_on=due_on,
            earmark=locked.reservation_reference,
            occurred_at=when,
            idempotency_key=idempotency_key,
            actor=actor,
            override_by=override_by,
        )
        customer = locked.customer
        invoice = Invoice.objects.create(
            shop_id=shop.pk,
            order=locked,
            charge=charge,
            number=number,
            year=issued_on.year,
            sequence=sequence,
            issued_on=issued_on,
            due_on=due_on,
            net_amount=locked.net_amount,
            vat_amount=locked.vat_amount,
            total=locked.total,
            seller_name=shop.legal_name or shop.name,
            seller_address=shop.address,
            seller_siret=shop.siret,
            seller_vat_number=shop.vat_number,
            buyer_name=customer.display_name,
            buyer_address="\n".join(
                part
                for part in [customer.address, f"{customer.postal_code} {customer.city}".strip()]
                if part
            ),
            payment_terms_days=shop.payment_terms_days,
        )
        locked.status = OrderStatus.DELIVERED
        locked.delivered_at = when
        locked.delivery_key = idempotency_key
        locked.save(update_fields=["status", "delivered_at", "delivery_key"])
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor else None,
            action="invoicing.invoice.issued",
            target=invoice,
            data={"number": number, "total": invoice.total, "charge": charge.pk},
        )
    return invoice


def cancel_order(*, order: Order, actor: User | None, reason: str = "") -> Order:
    """Cancel an order that is not delivered: nothing was posted, so nothing is to undo but
    what an online order holds on the account, released, and the credits kept for the order (a
    deposit, an online payment), which become ordinary credits of the account, in the same
    transaction (order row locked first, then the reservation and the account)."""
    # savepoint=False: composed (the demo cancels orders inside its transaction).
    with transaction.atomic(savepoint=False):
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != OrderStatus.OPEN:
            raise OrderNotOpen()
        locked.status = OrderStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason.strip()[:200]
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        ledger.release(account=locked.account, reference=locked.reservation_reference, actor=actor)
        ledger.lift_earmark(
            account=locked.account, earmark=locked.reservation_reference, actor=actor
        )
        record_event(
            shop_id=locked.shop_id,
            actor_id=actor.pk if actor else None,
            action="invoicing.order.cancelled",
            target=locked,
            data={"reason": locked.cancel_reason},
        )
    return locked
