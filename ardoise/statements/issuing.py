"""Issuing a statement and logging a send: the writes that both the use cases people start
(`statements.services`) and the worker (`statements.delivery`, for bulk runs) make.

They live apart from `services` so that the worker can issue without importing the module that
enqueues the worker's tasks: services -> tasks -> delivery -> issuing, never back.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from ardoise.audit.services import record_event
from ardoise.customers.models import Customer
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import Account
from ardoise.shops.models import User
from ardoise.statements.models import Statement, StatementCounter, StatementLine, StatementSend
from ardoise.statements.selectors import snapshot_account


def _next_number(shop_id: int) -> int:
    """Gap-free: the counter row changes in the statement's transaction and is locked till then."""
    if not StatementCounter.objects.filter(shop_id=shop_id).update(
        last_number=F("last_number") + 1
    ):
        StatementCounter.objects.get_or_create(shop_id=shop_id)
        StatementCounter.objects.filter(shop_id=shop_id).update(last_number=F("last_number") + 1)
    return StatementCounter.objects.get(shop_id=shop_id).last_number


# What a statement says: if all of it is the same as the account's last statement, that
# statement is the one to print or send again (with its number), not a new one.
_CONTENT_FIELDS = (
    "currency",
    "language",
    "customer_name",
    "customer_address",
    "customer_email",
    "total_charges",
    "total_credits",
    "balance",
    "amount_due",
    "credit_limit",
)
_LINE_FIELDS = (
    "kind",
    "charge_id",
    "credit_id",
    "document_kind",
    "reference",
    "description",
    "issued_on",
    "due_on",
    "total",
    "open_amount",
)


def _content(statement: Statement, lines: list[StatementLine]) -> tuple[Any, ...]:
    return (
        tuple(getattr(statement, name) for name in _CONTENT_FIELDS),
        tuple(tuple(getattr(line, name) for name in _LINE_FIELDS) for line in lines),
    )


def _unchanged_statement(
    account: Account, statement: Statement, lines: list[StatementLine]
) -> Statement | None:
    """The account's last statement when it says exactly what `statement` would (the same open
    charges and credits, amounts, totals and addressee); None when anything differs."""
    last = Statement.objects.filter(shop_id=account.shop_id, account_id=account.pk).first()
    if last is None:
        return None
    stored = list(last.lines.order_by("position"))
    return last if _content(last, stored) == _content(statement, lines) else None


def issue_statement(*, account: Account, actor: User | None, idempotency_key: str) -> Statement:
    """Store a numbered snapshot of everything the account owes and holds, now; or, when
    nothing has changed since the account's last statement, return that one (its number is
    reused: printing twice does not use up numbers).

    Locks the account row first (every ledger write does too), so the lines, totals and
    balance are one consistent moment; then the shop's counter row, so numbers are gap-free
    and unique per shop. The same key returns the first statement.
    """
    existing = Statement.objects.filter(shop_id=account.shop_id, idempotency_key=idempotency_key)
    try:
        # durable: a use case of its own (a view, or the worker per bulk item), never composed.
        with transaction.atomic(durable=True):
            # Lock first, then look for the key: the check and the write see one moment.
            locked = Account.objects.select_for_update().get(pk=account.pk)
            found = existing.first()
            if found is not None:
                return _same_account(found, account)
            customer = Customer.objects.get(pk=locked.customer_id)
            statement, lines = snapshot_account(account=locked, customer=customer)
            unchanged = _unchanged_statement(locked, statement, lines)
            if unchanged is not None:
                return unchanged
            statement.number = _next_number(account.shop_id)
            statement.created_by = actor
            statement.idempotency_key = idempotency_key
            statement.save()
            StatementLine.objects.bulk_create(lines, batch_size=500)
            record_event(
                shop_id=account.shop_id,
                actor_id=actor.pk if actor else None,
                action="statements.statement.issued",
                target=statement,
                data={
                    "number": statement.number,
                    "amount_due": statement.amount_due,
                    "lines": len(lines),
                },
            )
    except IntegrityError:
        # The same key, issued at the same moment by another request: it won, take its result.
        found = existing.first()
        if found is None:
            raise
        return _same_account(found, account)
    return statement


def _same_account(statement: Statement, account: Account) -> Statement:
    """The statement a key made, if it was made for `account`: the key of another account's
    statement (a page kept open on one customer, its key sent from another's) is refused."""
    if statement.account_id != account.pk:
        raise IdempotencyConflict()
    return statement


def record_send(
    *, statement: Statement, email: str, actor: User | None, idempotency_key: str
) -> tuple[StatementSend, bool]:
    """Log a send of `statement` to `email` as "queued"; the same key returns the first send.

    Returns the send and whether this call created it. Composed: inside `queue_statement_email`'s
    transaction, and alone in the worker for a bulk item.
    """
    first = StatementSend.objects.filter(shop_id=statement.shop_id, idempotency_key=idempotency_key)
    send = first.first()
    if send is not None:
        if (send.statement_id, send.email) != (statement.pk, email):
            raise IdempotencyConflict()  # the key of a send elsewhere: the page was out of date
        return send, False
    # savepoint=False: it joins the caller's transaction when composed, and is one on its own.
    with transaction.atomic(savepoint=False):
        send, created = StatementSend.objects.get_or_create(
            shop_id=statement.shop_id,
            idempotency_key=idempotency_key,
            defaults={
                "statement": statement,
                "customer_id": statement.customer_id,
                "email": email,
                "actor": actor,
            },
        )
        if created:
            record_event(
                shop_id=statement.shop_id,
                actor_id=actor.pk if actor else None,
                action="statements.statement.queued",
                target=send,
                data={"statement": statement.pk, "email": email},
            )
        return send, created
