"""Payment modes and the settlement of invoices by mode.

Settling an invoice is one business event and one transaction: the customer's account row is
locked first (as every ledger service does), the invoice's charge is checked, the money is
written by the ledger (`record_payment` earmarked to the charge, or `allocate` of the credits
already on the account for "deducted from the account"), and the `Settlement` row records which
ledger document it was. A settlement is corrected only by a reversal (`reverse_entry` of its
payment, or `unallocate` of what it deducted), with a reason; the row then points at it.
A refusal (amount not above zero, mode not accepted, invoice reversed, tracking off) raises
before anything is written, or rolls back what was.
"""

import datetime as dt
import re

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ardoise.audit.services import record_event
from ardoise.core.money import MoneyError, format_money, require_minor
from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import (
    IdempotencyConflict,
    InvalidAmount,
    InvalidDate,
    InvalidPaymentMode,
    ReasonRequired,
)
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
    JournalEntry,
)
from ardoise.ledger.selectors import refund_minimum_to_account
from ardoise.payments.errors import (
    InvoiceVoid,
    ModeNotAccepted,
    ModeOnlineOnly,
    NothingToDeduct,
    PaymentTrackingDisabled,
    ReceivedOnOutOfRange,
    RefundSplitRequired,
    SettlementAlreadyReversed,
    SettlementChanged,
    SettlementPageOutOfDate,
)
from ardoise.payments.models import BuiltInMode, PaymentMode, Settlement, SettlementStatus
from ardoise.payments.selectors import earliest_received_on
from ardoise.shops.models import Shop, User

ACCOUNT = BuiltInMode.ACCOUNT.value
ONLINE = BuiltInMode.ONLINE.value


def install_built_in_modes(*, shop_id: int) -> list[PaymentMode]:
    """Give a new shop the built-in modes, all accepted. Idempotent."""
    existing = set(PaymentMode.objects.filter(shop_id=shop_id).values_list("code", flat=True))
    modes = [
        PaymentMode(shop_id=shop_id, code=code, is_built_in=True, position=position)
        for position, code in enumerate(BuiltInMode.values)
        if code not in existing
    ]
    return PaymentMode.objects.bulk_create(modes)


def check_received_on(shop: Shop, received_on: dt.date | None) -> None:
    """Refuse a date received in the future or before `earliest_received_on`."""
    if received_on is None:
        return
    earliest = earliest_received_on(shop)
    if not earliest <= received_on <= timezone.localdate():
        raise ReceivedOnOutOfRange(earliest=_date(earliest))


def _date(day: dt.date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "SHORT_DATE_FORMAT")


def record_received(
    *,
    account: Account,
    top_up: bool,
    amount: int,
    mode: str,
    reference: str,
    received_on: dt.date | None,
    occurred_at: dt.datetime | None,
    idempotency_key: str,
    actor: User | None,
) -> Credit:
    """Money taken by hand on the Account tab or over the API: a payment (settles open charges)
    or a top-up.

    Refuses "online" (only a provider's confirmation records it), a mode the shop does not
    accept (the API passes what the caller sent) and a date received in the future or absurdly
    old, before anything is written; the ledger does the rest.
    """
    if mode == ONLINE:
        raise ModeOnlineOnly()
    if not PaymentMode.objects.filter(
        shop_id=account.shop_id, code=mode, is_accepted=True
    ).exists():
        raise ModeNotAccepted()
    check_received_on(Shop.objects.get(pk=account.shop_id), received_on)
    record = ledger.record_top_up if top_up else ledger.record_payment
    return record(
        account=account,
        amount=amount,
        mode=mode,
        reference=reference,
        received_on=received_on,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def add_payment_mode(*, shop_id: int, label: str, actor: User | None) -> PaymentMode:
    """A shop's own mode ("Titres-restaurant"), accepted, after the others."""
    label = label.strip()[:60]
    code = re.sub(r"[^a-z0-9_]", "_", slugify(label).replace("-", "_"))[:24].strip("_")
    if not label or not code:
        raise InvalidPaymentMode()
    # savepoint=False: composed (the demo adds a mode inside its transaction).
    with transaction.atomic(savepoint=False):
        existing = set(PaymentMode.objects.filter(shop_id=shop_id).values_list("code", flat=True))
        base, number = code, 2
        while code in existing:
            code, number = f"{base}_{number}", number + 1
        mode = PaymentMode.objects.create(
            shop_id=shop_id,
            code=code,
            custom_label=label,
            is_built_in=False,
            position=len(existing),
        )
        record_event(
            shop_id=shop_id,
            actor_id=actor.pk if actor else None,
            action="payments.mode.added",
            target=mode,
            data={"code": code, "label": label},
        )
    return mode


def update_invoice_settings(
    *,
    shop: Shop,
    actor: User | None,
    payment_tracking_enabled: bool,
    payment_terms_days: int,
    default_payment_mode: str,
    accepted: list[str],
    identity: dict[str, str],
) -> Shop:
    """Settings → Invoices: tracking on or off, terms, accepted modes, the default mode, and the
    seller's identity printed on invoices. The default mode must be one of the accepted ones."""
    allowed_identity = {"legal_name", "siret", "vat_number", "address"}
    if set(identity) - allowed_identity:
        raise TypeError(f"unknown identity fields: {sorted(set(identity) - allowed_identity)}")
    # durable: a view's use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        modes = list(PaymentMode.objects.select_for_update().filter(shop_id=shop.pk))
        codes = {mode.code for mode in modes}
        if not set(accepted) <= codes or default_payment_mode not in accepted:
            raise ModeNotAccepted()
        for mode in modes:
            mode.is_accepted = mode.code in accepted
        PaymentMode.objects.bulk_update(modes, ["is_accepted"])
        shop.payment_tracking_enabled = payment_tracking_enabled
        shop.payment_terms_days = payment_terms_days
        shop.default_payment_mode = default_payment_mode
        for field, value in identity.items():
            setattr(shop, field, value.strip())
        shop.save(
            update_fields=[
                "payment_tracking_enabled",
                "payment_terms_days",
                "default_payment_mode",
                *identity,
            ]
        )
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor else None,
            action="payments.invoice_settings.changed",
            target=shop,
            data={
                "tracking": payment_tracking_enabled,
                "terms": payment_terms_days,
                "default": default_payment_mode,
                "accepted": sorted(accepted),
            },
        )
    return shop


# --- Settlement -------------------------------------------------------------------------------


def _positive(amount: object) -> int:
    try:
        value = require_minor(amount)
    except MoneyError as error:
        raise InvalidAmount() from error
    if value <= 0:
        raise InvalidAmount()
    return value


def _check_mode(shop: Shop, mode: str) -> None:
    if not shop.payment_tracking_enabled:
        raise PaymentTrackingDisabled()
    if mode == ONLINE:
        raise ModeOnlineOnly()
    if not PaymentMode.objects.filter(shop_id=shop.pk, code=mode, is_accepted=True).exists():
        raise ModeNotAccepted()


def _lock(invoice: Invoice) -> Charge:
    """Lock the account row, then the charge (the ledger's order)."""
    Account.objects.select_for_update().get(pk=invoice.charge.account_id)
    return Charge.objects.select_for_update().get(pk=invoice.charge_id)


def _refuse_void(charge: Charge) -> None:
    if charge.status == ChargeStatus.VOID:
        raise InvoiceVoid()


def settle_invoice(
    *,
    invoice: Invoice,
    mode: str,
    amount: int,
    actor: User | None,
    idempotency_key: str,
    received_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
    expected_open: int | None = None,
) -> Settlement:
    """Record how an invoice was settled.

    By a payment mode: a payment of `amount` earmarked to the invoice's charge, so it settles
    this invoice first; more than what is owed raises the customer's balance (the over-payment is
    a credit, an "avoir"), less leaves the rest owed. Deducted from the account ("account"):
    the customer's unapplied credits, oldest first, are allocated to the charge up to `amount`;
    what they do not cover stays owed. Same key, same request: the first settlement comes back.

    `expected_open` is what the form showed as still owed: if the invoice's open amount is not
    that any more once it is locked (settled meanwhile, from another tab or an old form posted
    again), nothing is written. "online" is refused: only a provider's confirmation records it.
    """
    amount = _positive(amount)
    shop = Shop.objects.get(pk=invoice.shop_id)
    _check_mode(shop, mode)
    check_received_on(shop, received_on)
    # savepoint=False: composed inside set_settled_amount's transaction (and the demo's).
    with transaction.atomic(savepoint=False):
        # Lock first, then read the key: two requests with one key on this invoice cannot both
        # miss it (the unique key catches one on another invoice).
        charge = _lock(invoice)
        settlement = Settlement.objects.filter(
            shop_id=shop.pk, idempotency_key=idempotency_key
        ).first()
        if settlement is not None:
            # The account mode stores what it could deduct, which may be less than was asked.
            asked = amount if mode != ACCOUNT else settlement.amount
            if (settlement.invoice_id, settlement.mode, settlement.amount) != (
                invoice.pk,
                mode,
                asked,
            ):
                raise IdempotencyConflict()
            return settlement
        _refuse_void(charge)
        if expected_open is not None and charge.open_amount != expected_open:
            raise SettlementPageOutOfDate(open=format_money(charge.open_amount, shop.currency))
        credit: Credit | None = None
        sources: list[list[int]] = []
        if mode == ACCOUNT:
            sources = _deduct(charge, amount, actor=actor, idempotency_key=idempotency_key)
            amount = applied = sum(part for _, part in sources)
        else:
            credit = ledger.record_payment(
                account=charge.account,
                amount=amount,
                mode=mode,
                reference=invoice.number,
                earmark=f"charge:{charge.pk}",
                received_on=received_on,
                occurred_at=occurred_at,
                idempotency_key=idempotency_key,
                actor=actor,
            )
            applied = (
                Allocation.objects.filter(credit=credit, charge=charge).aggregate(
                    total=Sum("amount")
                )["total"]
                or 0
            )
        settlement = Settlement.objects.create(
            shop_id=shop.pk,
            invoice=invoice,
            mode=mode,
            amount=amount,
            applied_amount=applied,
            credit=credit,
            sources=sources,
            received_on=credit.received_on if credit else (received_on or timezone.localdate()),
            idempotency_key=idempotency_key,
            actor=actor,
        )
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor else None,
            action="payments.invoice.settled",
            target=settlement,
            data={"invoice": invoice.number, "mode": mode, "amount": amount, "applied": applied},
        )
    return settlement


def _deduct(
    charge: Charge, amount: int, *, actor: User | None, idempotency_key: str
) -> list[list[int]]:
    wanted = min(amount, charge.open_amount)
    credits = list(
        Credit.objects.select_for_update()
        .filter(account_id=charge.account_id, status=CreditStatus.ACTIVE, unapplied_amount__gt=0)
        .order_by("id")
    )
    sources: list[list[int]] = []
    for credit in credits:
        if wanted == 0:
            break
        part = min(wanted, credit.unapplied_amount)
        ledger.allocate(
            credit=credit,
            charge=charge,
            amount=part,
            idempotency_key=f"{idempotency_key}:{credit.pk}",
            actor=actor,
        )
        sources.append([credit.pk, part])
        wanted -= part
    if not sources:
        raise NothingToDeduct()
    return sources


def reverse_settlement(
    *, settlement: Settlement, reason: str, actor: User | None, idempotency_key: str
) -> Settlement:
    """Correct a settlement: reverse its payment (`reverse_entry`), or release what it deducted
    from the account (`unallocate`); the row keeps the reason and points at the reversal."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    # savepoint=False: composed inside set_settled_amount's transaction.
    with transaction.atomic(savepoint=False):
        Account.objects.select_for_update().get(pk=settlement.invoice.charge.account_id)
        locked = Settlement.objects.select_for_update().get(pk=settlement.pk)
        if locked.status != SettlementStatus.ACTIVE:
            raise SettlementAlreadyReversed()
        if locked.credit is not None:
            locked.reversal_entry = ledger.reverse_entry(
                entry=locked.credit.entry,
                reason=reason,
                idempotency_key=idempotency_key,
                actor=actor,
            )
        else:
            _release(locked, actor=actor, idempotency_key=idempotency_key)
        locked.status = SettlementStatus.REVERSED
        locked.reversed_at = timezone.now()
        locked.reversal_reason = reason
        locked.save(update_fields=["status", "reversed_at", "reversal_reason", "reversal_entry"])
        record_event(
            shop_id=locked.shop_id,
            actor_id=actor.pk if actor else None,
            action="payments.settlement.reversed",
            target=locked,
            data={"reason": reason, "amount": locked.amount, "mode": locked.mode},
        )
    return locked


def reverse_credit(
    *, credit: Credit, reason: str, actor: User | None, idempotency_key: str
) -> JournalEntry:
    """Correct a payment, top-up, adjustment or credit note recorded by mistake.

    The ledger's reversing entry, with a reason; a payment that settled an invoice from its foot
    is reversed through its settlement, so that the invoice shows it reversed too. Posted again
    with the same key, the first reversal comes back (the ledger's claim on the key).
    """
    settlement = Settlement.objects.filter(credit=credit, status=SettlementStatus.ACTIVE).first()
    if settlement is not None:
        reversed_settlement = reverse_settlement(
            settlement=settlement, reason=reason, actor=actor, idempotency_key=idempotency_key
        )
        assert reversed_settlement.reversal_entry is not None
        return reversed_settlement.reversal_entry
    return ledger.reverse_entry(
        entry=credit.entry, reason=reason, idempotency_key=idempotency_key, actor=actor
    )


def _release(settlement: Settlement, *, actor: User | None, idempotency_key: str) -> None:
    charge = settlement.invoice.charge
    for credit_id, part in settlement.sources:
        allocated = (
            Allocation.objects.filter(credit_id=credit_id, charge=charge).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        amount = min(part, allocated)  # a reversed invoice already released its allocations
        if amount > 0:
            ledger.unallocate(
                credit=Credit.objects.get(pk=credit_id),
                charge=charge,
                amount=amount,
                idempotency_key=f"{idempotency_key}:{credit_id}",
                actor=actor,
            )


def refund_charge(
    *,
    charge: Charge,
    amount: int,
    reason: str,
    refund_mode: str,
    to_account: int | None,
    idempotency_key: str,
    actor: User | None,
) -> Credit:
    """Refund part or all of a sale from the back office, paid out as the cashier said.

    A payout by a mode other than the account must be one the shop accepts, never "online" (no
    provider refund exists). On a sale not fully paid, the unpaid part must go back to the account:
    a payout mode with no explicit `to_account` is refused with the split (how much goes to the
    account, how much may be paid out), so the cashier confirms it rather than finding out
    afterwards; so is a split that sends less than the unpaid part to the account. Same key,
    same request: the first credit note comes back (the ledger's claim).
    """
    if refund_mode != ACCOUNT:
        if refund_mode == ONLINE:
            raise ModeOnlineOnly()
        mode = PaymentMode.objects.filter(
            shop_id=charge.shop_id, code=refund_mode, is_accepted=True
        ).first()
        if mode is None:
            raise ModeNotAccepted()
        current = Charge.objects.get(pk=charge.pk)  # the ledger locks it and checks again
        minimum = refund_minimum_to_account(current, _positive(amount))
        if not minimum and to_account is None:
            to_account = 0  # stated, so that the ledger refuses it if the sale is unpaid by then
        elif to_account is None or to_account < minimum:
            currency = charge.account.currency
            raise RefundSplitRequired(
                to_account=format_money(minimum, currency),
                payout=format_money(amount - minimum, currency),
                mode=str(mode.label).lower(),
                minimum=minimum,
            )
    return ledger.issue_credit_note(
        charge=charge,
        amount=amount,
        reason=reason,
        refund_mode=refund_mode,
        to_account=None if refund_mode == ACCOUNT else to_account,
        idempotency_key=idempotency_key,
        actor=actor,
    )


def set_settled_amount(
    *,
    invoice: Invoice,
    mode: str,
    amount: int,
    version: int,
    actor: User | None,
    idempotency_key: str,
    received_on: dt.date | None = None,
    received_between: tuple[dt.date, dt.date] | None = None,
) -> Settlement | None:
    """The Payments page: the amount typed in a cell (invoice x mode) becomes what was settled.

    The same amount again writes nothing. Another amount reverses the cell's active settlements
    (never an UPDATE of money) and, above zero, records a new one received on `received_on`, in
    one transaction. With `received_between` (the week the page shows), the cell is what came in
    by `mode` for the invoice in those days: settlements received on other days are left alone.
    `version` is the cell's version the page showed: if someone changed it meanwhile, the change
    is refused rather than applied on top.
    """
    try:
        amount = require_minor(amount)
    except MoneyError as error:
        raise InvalidAmount() from error
    if amount < 0:
        raise InvalidAmount()
    if received_on is not None and received_on > timezone.localdate():
        raise InvalidDate()
    shop = Shop.objects.get(pk=invoice.shop_id)
    _check_mode(shop, mode)
    # durable: a view's use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        _refuse_void(_lock(invoice))
        cell = Settlement.objects.filter(
            invoice=invoice, mode=mode, status=SettlementStatus.ACTIVE
        ).exclude(credit__status=CreditStatus.VOID)  # its payment was reversed elsewhere
        if received_between is not None:
            cell = cell.filter(received_on__range=received_between)
        active = list(cell.select_for_update(of=("self",)).order_by("id"))
        if sum(row.amount for row in active) == amount:
            return None
        if max((row.pk for row in active), default=0) != version:
            raise SettlementChanged()
        for row in active:
            reverse_settlement(
                settlement=row,
                reason=str(_("Corrected on the Payments page")),
                actor=actor,
                idempotency_key=f"{idempotency_key}:reverse:{row.pk}",
            )
        if amount == 0:
            return None
        return settle_invoice(
            invoice=invoice,
            mode=mode,
            amount=amount,
            actor=actor,
            idempotency_key=f"{idempotency_key}:settle",
            received_on=received_on,
            occurred_at=_noon_of(received_on),
        )


def _noon_of(day: dt.date | None) -> dt.datetime | None:
    """Today means now; an earlier day means noon of that day (the postings' business time)."""
    if day is None or day >= timezone.localdate():
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
