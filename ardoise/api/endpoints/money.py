"""What moves money: charges (sales on account), payments, top-ups, credit notes, reversals.

Each write needs `Idempotency-Key` (see `ardoise.api.idempotency`) and calls the one service the
back office calls: `ledger.post_charge` (the limit guard), `payments.record_received` (payments
and top-ups by a mode the shop accepts), `payments.refund_charge` (credit notes),
`ledger.reverse_entry` and `payments.reverse_credit` (reversals).
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Query, Router

from ardoise.api import present
from ardoise.api.access import account_for, allowed, allowed_to_write, charge_for, credit_for
from ardoise.api.auth import Caller, require_scope
from ardoise.api.errors import ERRORS, TO_ACCOUNT_ABOVE_AMOUNT, VAT_ABOVE_TOTAL, WRITE, ApiError
from ardoise.api.idempotency import run_once
from ardoise.api.money import amount_text, check_currency, read_amount
from ardoise.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_id
from ardoise.api.schemas import (
    ChargeIn,
    ChargeOut,
    ChargePage,
    CreditNoteIn,
    CreditOut,
    CreditPage,
    Id,
    PaymentIn,
    ReversalIn,
    ReversalOut,
    dump,
)
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Charge, Credit, JournalEntry
from ardoise.payments import services as payments
from ardoise.shops.permissions import Permission

router = Router(tags=[gettext_noop("money")])

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
ACCOUNT_MODE = "account"


@router.post(
    "/charges",
    response={201: ChargeOut, **ERRORS},
    summary=gettext_noop("Charge a sale to the customer's account (within the credit limit)"),
    operation_id="create_charge",
    openapi_extra=WRITE,
)
def create_charge(request: HttpRequest, payload: ChargeIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.SALES_CREATE)
    account = account_for(caller, payload.customer_id, field="customer_id")
    check_currency(payload.currency, account.currency)
    total = read_amount(payload.amount, currency=account.currency)
    vat = read_amount(payload.vat_amount, currency=account.currency, field="vat_amount")
    if vat > total:
        raise ApiError(422, "invalid_value", field="vat_amount", message=VAT_ABOVE_TOTAL)

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        charge = ledger.post_charge(
            account=account,
            total=total,
            vat_amount=vat,
            reference=payload.reference,
            description=payload.description,
            idempotency_key=key,
            actor=None,
        )
        return 201, present.charge(charge, account.currency, account.customer_id), charge

    return run_once(request, caller, work)


@router.get(
    "/charges",
    response={200: ChargePage, **ERRORS},
    summary=gettext_noop("Charges, oldest first; of one customer with customer_id"),
    operation_id="list_charges",
)
def list_charges(
    request: HttpRequest,
    customer_id: Id | None = None,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Limit,
) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    rows = Charge.objects.filter(shop_id=caller.shop_id).select_related("account")
    if customer_id is not None:
        rows = rows.filter(account__customer_id=customer_id)
    page, next_cursor = page_by_id(rows, cursor=cursor, limit=limit, salt="charges")
    items = [present.charge(row, row.account.currency, row.account.customer_id) for row in page]
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/charges/{charge_id}",
    response={200: ChargeOut, **ERRORS},
    summary=gettext_noop("Read a charge"),
    operation_id="read_charge",
)
def read_charge(request: HttpRequest, charge_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    charge = charge_for(caller, charge_id)
    return present.charge(charge, charge.account.currency, charge.account.customer_id)


def _receive(request: HttpRequest, payload: PaymentIn, *, top_up: bool) -> HttpResponse:
    caller = allowed_to_write(request, Permission.PAYMENTS_RECORD)
    account = account_for(caller, payload.customer_id, field="customer_id")
    check_currency(payload.currency, account.currency)
    amount = read_amount(payload.amount, currency=account.currency)

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        credit = payments.record_received(
            account=account,
            top_up=top_up,
            amount=amount,
            mode=payload.mode,
            reference=payload.reference,
            received_on=payload.received_on,
            occurred_at=None,
            idempotency_key=key,
            actor=None,
        )
        return 201, present.credit(credit, account.currency, account.customer_id), credit

    return run_once(request, caller, work)


@router.post(
    "/payments",
    response={201: CreditOut, **ERRORS},
    summary=gettext_noop("Record a payment by a mode the shop accepts (settles open charges)"),
    operation_id="create_payment",
    openapi_extra=WRITE,
)
def create_payment(request: HttpRequest, payload: PaymentIn) -> HttpResponse:
    return _receive(request, payload, top_up=False)


@router.post(
    "/top-ups",
    response={201: CreditOut, **ERRORS},
    summary=gettext_noop("Record a top-up (a prepayment onto the account)"),
    operation_id="create_top_up",
    openapi_extra=WRITE,
)
def create_top_up(request: HttpRequest, payload: PaymentIn) -> HttpResponse:
    return _receive(request, payload, top_up=True)


@router.get(
    "/credits",
    response={200: CreditPage, **ERRORS},
    summary=gettext_noop("Payments, top-ups, credit notes and adjustments, oldest first"),
    operation_id="list_credits",
)
def list_credits(
    request: HttpRequest,
    customer_id: Id | None = None,
    kind: str | None = Query(None, pattern="^(payment|top_up|credit_note|adjustment)$"),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Limit,
) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    rows = Credit.objects.filter(shop_id=caller.shop_id).select_related("account")
    if customer_id is not None:
        rows = rows.filter(account__customer_id=customer_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    page, next_cursor = page_by_id(rows, cursor=cursor, limit=limit, salt="credits")
    items = [present.credit(row, row.account.currency, row.account.customer_id) for row in page]
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/credits/{credit_id}",
    response={200: CreditOut, **ERRORS},
    summary=gettext_noop("Read a payment, top-up, credit note or adjustment"),
    operation_id="read_credit",
)
def read_credit(request: HttpRequest, credit_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    credit = credit_for(caller, credit_id)
    return present.credit(credit, credit.account.currency, credit.account.customer_id)


@router.post(
    "/charges/{charge_id}/credit-notes",
    response={201: CreditOut, **ERRORS},
    summary=gettext_noop("Refund part or all of a charge: to the account, or paid out by a mode"),
    operation_id="create_credit_note",
    openapi_extra=WRITE,
)
def create_credit_note(request: HttpRequest, charge_id: Id, payload: CreditNoteIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.SALES_REFUND_TO_ACCOUNT)
    if payload.refund_mode != ACCOUNT_MODE:
        require_scope(request, Permission.SALES_REFUND)
    charge = charge_for(caller, charge_id)
    currency = charge.account.currency
    check_currency(payload.currency, currency)
    amount = read_amount(payload.amount, currency=currency)
    to_account = (
        None
        if payload.to_account is None
        else read_amount(payload.to_account, currency=currency, field="to_account")
    )
    if to_account is not None and to_account > amount:
        # The ledger refuses it too, but as an amount at fault ("more than zero"): say which.
        raise ApiError(422, "invalid_value", field="to_account", message=TO_ACCOUNT_ABOVE_AMOUNT)

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        credit = payments.refund_charge(
            charge=charge,
            amount=amount,
            reason=payload.reason,
            refund_mode=payload.refund_mode,
            to_account=to_account,
            idempotency_key=key,
            actor=None,
        )
        return 201, present.credit(credit, currency, charge.account.customer_id), credit

    return run_once(request, caller, work)


@router.post(
    "/reversals",
    response={201: ReversalOut, **ERRORS},
    summary=gettext_noop(
        "Reverse a charge or a credit entered by mistake (a mirror entry, with a reason)"
    ),
    operation_id="create_reversal",
    openapi_extra=WRITE,
)
def create_reversal(request: HttpRequest, payload: ReversalIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.ACCOUNTS_REVERSE)
    if (payload.charge_id is None) == (payload.credit_id is None):
        raise ApiError(400, "invalid_value", field="charge_id")
    charge = None if payload.charge_id is None else charge_for(caller, payload.charge_id)
    credit = None if payload.credit_id is None else credit_for(caller, payload.credit_id)
    document = charge or credit
    assert document is not None

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        if credit is not None:
            entry = payments.reverse_credit(
                credit=credit, reason=payload.reason, actor=None, idempotency_key=key
            )
        else:
            entry = ledger.reverse_entry(
                entry=document.entry, reason=payload.reason, idempotency_key=key, actor=None
            )
        return 201, _reversal(caller, entry, charge, credit), entry

    return run_once(request, caller, work)


def _reversal(
    caller: Caller, entry: JournalEntry, charge: Charge | None, credit: Credit | None
) -> dict[str, Any]:
    document = charge or credit
    assert document is not None
    assert entry.reverses_id is not None
    currency = document.account.currency
    moved = sum(p.amount for p in entry.postings.all() if p.account_id)
    return dump(
        ReversalOut(
            entry_id=entry.pk,
            reverses_entry_id=entry.reverses_id,
            charge_id=charge.pk if charge else None,
            credit_id=credit.pk if credit else None,
            currency=currency,
            amount=amount_text(moved, currency),
        )
    )
