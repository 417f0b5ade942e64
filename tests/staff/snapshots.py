"""What a refused request must leave unchanged: every row count and every balance."""

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    Credit,
    IdempotencyRecord,
    JournalEntry,
    Posting,
)


def ledger_state() -> dict[str, object]:
    return {
        "accounts": sorted(
            Account.objects.values_list(
                "pk", "balance", "debt", "deposit", "credit_limit", "version"
            )
        ),
        "customers": Customer.objects.count(),
        "entries": JournalEntry.objects.count(),
        "postings": Posting.objects.count(),
        "charges": Charge.objects.count(),
        "credits": Credit.objects.count(),
        "allocations": Allocation.objects.count(),
        "idempotency": IdempotencyRecord.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
