"""What the portal reads for the customer, computed in one place.

`balance_summary` feeds the header every portal page shows (top right): the balance in words and
colour, and what the customer can still spend: the ledger's figure (balance + credit limit −
what accepted orders and open checkouts hold, `ledger.selectors.spendable`).
"""

from dataclasses import dataclass

from ardoise.ledger.models import Account
from ardoise.ledger.selectors import spendable


@dataclass(frozen=True)
class BalanceSummary:
    balance: int
    currency: str
    spendable: int | None  # None: no limit; clamped at 0
    reserved: int = 0  # what undelivered orders and open checkouts hold

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
        balance=account.balance,
        currency=account.currency,
        spendable=spendable(account),
        reserved=account.reserved,
    )
