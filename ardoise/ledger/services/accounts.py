"""Accounts and their credit limits: opening a customer's account, changing its limit."""

from typing import Any

from django.db import IntegrityError, transaction

from ardoise.audit.services import record_event
from ardoise.core.money import MAX_AMOUNT, MoneyError, require_minor
from ardoise.customers.models import Customer
from ardoise.customers.services import create_customer
from ardoise.ledger.errors import AccountAlreadyOpen, IdempotencyConflict, InvalidCreditLimit
from ardoise.ledger.models import Account
from ardoise.ledger.services import idempotency, posting
from ardoise.shops.models import Shop, User

UNSET: Any = object()


def open_account(
    *,
    customer: Customer,
    actor: User | None,
    idempotency_key: str,
    credit_limit: int | None = UNSET,
) -> Account:
    """Open the customer's account in the shop's currency, with the shop's default limit.

    Invariant: one account per customer and currency (unique constraint).
    """
    shop = Shop.objects.get(pk=customer.shop_id)
    limit = shop.default_credit_limit if credit_limit is UNSET else credit_limit
    if limit is not None:
        limit = _limit(limit)
    with posting.composable():
        claim = idempotency.claim(
            shop_id=shop.pk,
            key=idempotency_key,
            operation="open_account",
            params={"customer": customer.pk, "credit_limit": limit},
        )
        if claim.replay_of is not None:
            return Account.objects.get(pk=claim.replay_of)
        try:
            with transaction.atomic():  # the unique (customer, currency) decides, races too
                account = Account.objects.create(
                    shop_id=shop.pk, customer=customer, currency=shop.currency, credit_limit=limit
                )
        except IntegrityError as error:
            raise AccountAlreadyOpen() from error
        record_event(
            shop_id=shop.pk,
            actor_id=posting.actor_id(actor),
            action="ledger.account.opened",
            target=account,
            data={"customer": customer.pk, "credit_limit": limit},
        )
        idempotency.settle(claim, account.pk)
    return account


def create_customer_with_account(
    *,
    shop_id: int,
    actor: User | None,
    fields: dict[str, object],
    credit_limit: int | None,
    idempotency_key: str,
) -> Customer:
    """A new customer and their account, together or not at all.

    The idempotency key guards both: a form posted twice gives the first customer back (the
    second attempt's customer row rolls back with its refused account claim, whose fingerprint
    names another customer); the key sent again with other details is `IdempotencyConflict`.
    """
    try:
        with transaction.atomic(durable=True):
            customer = create_customer(shop_id=shop_id, actor_id=posting.actor_id(actor), **fields)
            open_account(
                customer=customer,
                actor=actor,
                idempotency_key=idempotency_key,
                credit_limit=credit_limit,
            )
    except IdempotencyConflict:
        first = idempotency.result_of(
            shop_id=shop_id, key=idempotency_key, operation="open_account"
        )
        if first is None:
            raise
        account = Account.objects.select_related("customer").get(pk=first)
        asked = {**fields, "credit_limit": None if credit_limit is None else _limit(credit_limit)}
        made = {name: getattr(account.customer, name) for name in fields}
        if asked != {**made, "credit_limit": account.credit_limit}:
            raise  # the key of a customer made with other details: the form was out of date
        return account.customer
    return customer


def _limit(value: object) -> int:
    try:
        limit = require_minor(value, name="credit_limit")
    except MoneyError as error:
        raise InvalidCreditLimit() from error
    if limit < 0 or limit >= MAX_AMOUNT:
        raise InvalidCreditLimit()
    return limit


def change_credit_limit(
    *,
    account: Account,
    credit_limit: int | None,
    actor: User | None,
    idempotency_key: str,
    reason: str = "",
) -> Account:
    """Set the most the customer may owe (`None` no limit, `0` no credit: "deactivated").

    Lowering a limit below what is already owed is allowed: it blocks new charges, it does not
    undo old ones. Locks the account row.
    """
    limit = None if credit_limit is None else _limit(credit_limit)
    with posting.composable():
        claim = idempotency.claim(
            shop_id=account.shop_id,
            key=idempotency_key,
            operation="change_credit_limit",
            params={"account": account.pk, "credit_limit": limit},
        )
        if claim.replay_of is not None:
            return Account.objects.get(pk=claim.replay_of)
        locked = Account.objects.select_for_update().get(pk=account.pk)
        previous = locked.credit_limit
        locked.credit_limit = limit
        locked.version += 1
        locked.save(update_fields=["credit_limit", "version"])
        record_event(
            shop_id=account.shop_id,
            actor_id=posting.actor_id(actor),
            action="ledger.account.credit_limit_changed",
            target=locked,
            data={"from": previous, "to": limit, "reason": reason},
        )
        idempotency.settle(claim, locked.pk)
    return locked
