"""What a killed server left in the database, read by a process of its own (test_sigkill.py).

`DATABASE_URL=... python -m tests.hardening.crash_check SHOP_ID` prints, as JSON, every row
that would be half-written (a journal entry whose postings do not sum to zero or that has
fewer than two, an idempotency key claimed without its result, an API request without its
response) and, per reference, how many charges and credits the shop holds, with each
account's figures: the test compares them with what the clients were told.
"""

import json
import os
import sys
from typing import Any


def main(shop_id: int) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ARDOISE_TESTING", "1")
    import django

    django.setup()
    from django.db.models import Count, Q, Sum

    from ardoise.api.models import ApiRequest
    from ardoise.ledger.models import Account, Charge, Credit, IdempotencyRecord, JournalEntry

    entries = (
        JournalEntry.objects.filter(shop_id=shop_id)
        .annotate(total=Sum("postings__amount"), count=Count("postings"))
        .filter(Q(count__lt=2) | ~Q(total=0))
    )
    return {
        "half_entries": list(entries.values_list("pk", flat=True)),
        "keys_without_result": list(
            IdempotencyRecord.objects.filter(shop_id=shop_id, result_id__isnull=True).values_list(
                "key", flat=True
            )
        ),
        "requests_without_response": list(
            ApiRequest.objects.filter(shop_id=shop_id)
            .filter(Q(status_code__isnull=True) | Q(response=""))
            .values_list("idempotency_key", flat=True)
        ),
        "charges": _per_reference(Charge.objects.filter(shop_id=shop_id)),
        "credits": _per_reference(Credit.objects.filter(shop_id=shop_id)),
        "accounts": {
            str(customer_id): [balance, debt, deposit]
            for customer_id, balance, debt, deposit in Account.objects.filter(
                shop_id=shop_id
            ).values_list("customer_id", "balance", "debt", "deposit")
        },
    }


def _per_reference(rows: Any) -> dict[str, int]:
    from django.db.models import Count

    return dict(rows.exclude(reference="").values_list("reference").annotate(n=Count("id")))


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]))))
