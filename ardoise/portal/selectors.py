"""What the portal reads for the customer, computed in one place.

`balance_summary` feeds the header every portal page shows (top right): the balance in words and
colour, and what the customer can still spend. What they can spend is the ledger's figure
(balance + credit limit − what accepted orders and open checkouts hold); until the reservations
of issue 12 reach main it is balance + credit limit, and only `spendable` below changes then.
"""

from dataclasses import dataclass

from ardoise.ledger.models import Account


def spendable(account: Account) -> int | None:
    """What the customer may still spend; None when the account has no credit limit."""
    if account.credit_limit is None:
        return None
    return account.balance + account.credit_limit


@dataclass(frozen=True)
class BalanceSummary:
    balance: int
    currency: str
    spendable: int | None  # None: no limit; for display clamped at 0

    @property
    def in_favour(self) -> bool:
        return self.balance > 0

    @property
    def owed(self) -> bool:
        return self.balance < 0

    @property
    def amount(self) -> int:
        """The balance without its sign: the words say which way it goes."""
        return abs(self.balance)

    @property
    def state(self) -> str:
        return "favour" if self.in_favour else "owed" if self.owed else "zero"

    @property
    def spendable_shown(self) -> int | None:
        return None if self.spendable is None else max(self.spendable, 0)


def balance_summary(account: Account) -> BalanceSummary:
    return BalanceSummary(
        balance=account.balance, currency=account.currency, spendable=spendable(account)
    )
