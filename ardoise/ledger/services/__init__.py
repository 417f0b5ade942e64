"""Ledger use cases: the only code that writes accounts, journal entries, postings and allocations.

Each use case is one business event: in one transaction it writes, together, the idempotency
claim, the balance update, the balanced journal entry, the document, its allocations and the
audit event. A refusal raises a `LedgerError` and leaves nothing behind. Callers import this
package (`from ardoise.ledger import services as ledger`); its modules are by concept:
`accounts` (opening, credit limits), `charges`, `credits` (payments, top-ups, adjustments,
credit notes), `allocation`, `reversal`; under them `matching` (credits to charges),
`idempotency`, and `posting` (the written SQL statements and the posting primitives).

Transactions, in STYLE.md's terms (a use case owns its transaction, `durable=True` at the
outermost level): a use case that no other use case composes opens
`transaction.atomic(durable=True)`, so that being called inside a transaction is an error
(`create_customer_with_account`, `post_debit_adjustment`, `post_credit_adjustment`, called by the
back office). A use case that others compose in their own transaction (invoicing delivers an
order through `post_charge`; payments settle and correct invoices through `record_payment`,
`allocate`, `unallocate`, `reverse_entry`; the demo builds its shop through `open_account`,
`change_credit_limit`, `record_top_up`, `issue_credit_note`) opens `posting.composable()`:
outermost it is the event's transaction, inside a caller's it joins it with `savepoint=False`,
so that the caller's event commits or fails as a whole.

Locking: the first statement that touches an account is the guarded UPDATE of its row (or a
`select_for_update` of it), so concurrent work on one account queues on that row lock. Charges
and credits are then locked in ascending id order.
"""

from ardoise.ledger.services.accounts import (
    change_credit_limit,
    create_customer_with_account,
    open_account,
)
from ardoise.ledger.services.allocation import allocate, unallocate
from ardoise.ledger.services.charges import post_charge, post_debit_adjustment
from ardoise.ledger.services.credits import (
    issue_credit_note,
    lift_earmark,
    post_credit_adjustment,
    record_payment,
    record_top_up,
)
from ardoise.ledger.services.reservations import consume, release, reserve
from ardoise.ledger.services.reversal import reverse_entry

__all__ = [
    "allocate",
    "change_credit_limit",
    "consume",
    "create_customer_with_account",
    "issue_credit_note",
    "lift_earmark",
    "open_account",
    "post_charge",
    "post_credit_adjustment",
    "post_debit_adjustment",
    "record_payment",
    "record_top_up",
    "release",
    "reserve",
    "reverse_entry",
    "unallocate",
]
