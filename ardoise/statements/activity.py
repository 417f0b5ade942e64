"""An account's movements as people read them: the Account tab's activity and the customer's
history in the portal show the same lines, made here once.

Most recent first; each line names its document (an invoice's number, a payment's mode, an
online payment as "Statement No. 3 paid online") and keeps the ledger's running balance.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django_stubs_ext import StrOrPromise

from ardoise.ledger.models import CreditKind, EntryKind, JournalEntry
from ardoise.ledger.selectors import Activity
from ardoise.payments.models import BuiltInMode


@dataclass(frozen=True)
class ActivityLine:
    """One movement as the Account tab shows it."""

    occurred_at: dt.datetime
    kind: str
    kind_label: StrOrPromise
    reference: str
    detail: str
    charge_id: int | None
    amount: int
    running_balance: int
    credit_id: int | None = None
    overridden_by: str = ""  # who lifted the credit limit for this charge


def online_credit_ids(activity: Activity) -> list[int]:
    """Credits paid online in the range: their references are named for people by statements."""
    ids = []
    for row in activity.rows:
        credit = _related(row.posting.entry, "credit")
        if credit is not None and credit.mode == BuiltInMode.ONLINE:
            ids.append(credit.pk)
    return ids


def activity_lines(
    activity: Activity,
    mode_labels: dict[str, str],
    reference_labels: dict[int, str] | None = None,
) -> list[ActivityLine]:
    """Most recent first, as people read an account; running balances stay those of the ledger.

    `reference_labels` (credit id -> label) replaces a reference that is internal, such as an
    online payment's `statement:<id>`, by what people read ("Statement No. 3 paid online").
    """
    reference_labels = reference_labels or {}
    lines = []
    for row in activity.rows:
        entry = row.posting.entry
        charge = _related(entry, "charge")
        credit = _related(entry, "credit")
        document = charge or credit
        detail = entry.reason or (charge.description if charge is not None else "")
        if credit is not None and credit.kind in {CreditKind.PAYMENT, CreditKind.TOP_UP}:
            detail = mode_labels.get(credit.mode, credit.mode)
        lines.append(
            ActivityLine(
                occurred_at=row.posting.occurred_at,
                kind=entry.kind,
                kind_label=EntryKind(entry.kind).label,
                reference=(
                    reference_labels.get(credit.pk if credit is not None else 0)
                    or (document.reference if document is not None else "")
                    or entry.memo
                ),
                detail=detail,
                charge_id=charge.pk if charge is not None else None,
                credit_id=credit.pk if credit is not None else None,
                amount=row.amount,
                running_balance=row.running_balance,
                overridden_by=str(entry.limit_override_by) if entry.limit_override_by else "",
            )
        )
    lines.reverse()
    return lines


def _related(entry: JournalEntry, name: str) -> Any:
    try:
        return getattr(entry, name)
    except ObjectDoesNotExist:  # the entry has no document of that type
        return None
