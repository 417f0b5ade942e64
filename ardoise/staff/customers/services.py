"""Back-office use cases that span customers and the ledger."""

from django.db import transaction

from ardoise.customers.models import Customer
from ardoise.customers.services import create_customer
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import Account, IdempotencyRecord
from ardoise.ledger.services import open_account
from ardoise.shops.models import User


def create_customer_with_account(
    *,
    shop_id: int,
    actor: User,
    fields: dict[str, object],
    credit_limit: int | None,
    idempotency_key: str,
) -> Customer:
    """A new customer and their account, together or not at all.

    The form's idempotency key guards both: a form posted twice gives the first customer back
    (the second attempt's customer row rolls back with the refused account claim).
    """
    try:
        with transaction.atomic():
            customer = create_customer(shop_id=shop_id, actor_id=actor.pk, **fields)
            open_account(
                customer=customer,
                actor=actor,
                idempotency_key=idempotency_key,
                credit_limit=credit_limit,
            )
    except IdempotencyConflict:
        first = IdempotencyRecord.objects.filter(
            shop_id=shop_id, key=idempotency_key, operation="open_account"
        ).first()
        if first is None or first.result_id is None:
            raise
        return Account.objects.select_related("customer").get(pk=first.result_id).customer
    return customer
