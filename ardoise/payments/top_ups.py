"""The customer pays into their account from the portal: a top-up of the amount they choose, or
the whole amount they owe. Both open a checkout (`payments.online.start_checkout`); the
provider's confirmation records the credit once (`payments.outcomes`): a top-up raises the
balance by its amount, with a receipt; paying what is owed settles the open charges (the credits
not yet applied first), like a statement paid online.

Each start is idempotent: a top-up's reference is derived from the caller's key (the same key
gives the first checkout back; another amount with it is refused), and what is owed is paid
through one checkout per state of the account (`balance:<account>:<version>`: two tabs share
it, and once the balance moved a new amount may be paid). A refusal writes nothing.
"""

import hashlib

from ardoise.core.money import format_money
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import Account
from ardoise.ledger.selectors import open_charges, unapplied_credits
from ardoise.payments.errors import (
    AboveOnlineMaximum,
    NothingOwed,
    OnlinePaymentNotOffered,
    TopUpOutOfRange,
)
from ardoise.payments.models import Checkout, CheckoutPurpose
from ardoise.payments.online import OnlinePaymentUnavailable, start_checkout
from ardoise.payments.outcomes import payment_label
from ardoise.payments.selectors import online_provider_for
from ardoise.shops.models import Shop

MAX_KEY_LENGTH = 100


def top_up_limits(shop: Shop) -> tuple[int, int]:
    """The smallest and the largest top-up the shop takes online."""
    return shop.top_up_minimum, shop.online_payment_max


def top_up_reference(account: Account, idempotency_key: str) -> str:
    """The checkout reference of the top-up the caller's key started on `account`."""
    digest = hashlib.sha256(f"{account.pk}:{idempotency_key}".encode()).hexdigest()[:40]
    return f"top_up:{digest}"


def start_top_up(
    *, account: Account, amount: int, idempotency_key: str, return_url: str
) -> Checkout:
    """Open the checkout of a top-up of `amount` (between the shop's minimum and its online
    maximum). Refused, nothing written: an amount out of range, no online payment offered, a
    key used for another amount."""
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise IdempotencyConflict()
    shop = Shop.objects.get(pk=account.shop_id)
    minimum, maximum = top_up_limits(shop)
    if type(amount) is not int or not minimum <= amount <= maximum:
        raise TopUpOutOfRange(
            minimum=format_money(minimum, shop.currency),
            maximum=format_money(maximum, shop.currency),
        )
    reference = top_up_reference(account, idempotency_key)
    first = Checkout.objects.filter(shop_id=shop.pk, reference=reference).order_by("id").first()
    if first is not None:
        if first.amount != amount or first.account_id != account.pk:
            raise IdempotencyConflict()
        return first
    if online_provider_for(shop.pk) is None:
        raise OnlinePaymentNotOffered()
    return _start(
        account=account,
        amount=amount,
        reference=reference,
        purpose=CheckoutPurpose.TOP_UP,
        return_url=return_url,
        language=shop.language,
    )


def pay_amount_owed(*, account: Account, return_url: str) -> Checkout:
    """Open (or reuse) the checkout of the whole amount the account owes (its negative balance):
    the open charges are settled with it, the credits not yet applied counted first. Refused,
    nothing written: nothing owed, above the online maximum, no online payment offered."""
    account = Account.objects.get(pk=account.pk)
    shop = Shop.objects.get(pk=account.shop_id)
    owed = -account.balance
    if owed <= 0:
        raise NothingOwed()
    if owed > shop.online_payment_max:
        raise AboveOnlineMaximum(
            amount=format_money(owed, shop.currency),
            maximum=format_money(shop.online_payment_max, shop.currency),
        )
    if online_provider_for(shop.pk) is None:
        raise OnlinePaymentNotOffered()
    return _start(
        account=account,
        amount=owed,
        reference=f"balance:{account.pk}:{account.version}",
        purpose=CheckoutPurpose.BALANCE,
        return_url=return_url,
        language=shop.language,
        charge_ids=list(open_charges(account).values_list("pk", flat=True)),
        credit_ids=list(unapplied_credits(account).filter(earmark="").values_list("pk", flat=True)),
    )


def _start(
    *,
    account: Account,
    amount: int,
    reference: str,
    purpose: str,
    return_url: str,
    language: str,
    charge_ids: list[int] | None = None,
    credit_ids: list[int] | None = None,
) -> Checkout:
    try:
        return start_checkout(
            account=account,
            amount=amount,
            reference=reference,
            charge_ids=charge_ids or [],
            credit_ids=credit_ids or [],
            return_url=return_url,
            label=payment_label(purpose, order_id=None, language=language),
            purpose=purpose,
        )
    except OnlinePaymentUnavailable as error:
        raise OnlinePaymentNotOffered() from error
