"""The one "nothing was written" check of the suite, for ledger services and back-office views.

`database_snapshot()` reads every row of every table Ardoise owns (each app under `ardoise.`, so a
model that moves from one app to another stays covered) and of the task queue (an email, PDF or
export enqueued is a write too), with every column, plus the emails sent. A refused call or
request must leave it identical: that is how the tests prove DESIGN.md rule 2 ("nothing
half-posted can exist") and the house rule that a refusal changes nothing.

Either compare two snapshots (`before = database_snapshot()` ... `assert database_snapshot() ==
before`) or wrap the call: `with nothing_written(), pytest.raises(SomeRefusal): ...`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core import mail
from django.db import models

# Tables outside `ardoise.` that a refusal must not write either.
_OTHER_APPS = {"django_tasks_db"}


def _watched_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if (model.__module__.startswith("ardoise.") or model._meta.app_label in _OTHER_APPS)
        and model._meta.managed
        and not model._meta.proxy
    ]


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[tuple[Any, ...]]]
    emails_sent: int

    def changes_since(self, before: "Snapshot") -> dict[str, Any]:
        """What differs from `before`, table by table ({} when nothing was written)."""
        changed: dict[str, Any] = {
            table: {"before": rows, "after": self.rows.get(table)}
            for table, rows in before.rows.items()
            if self.rows.get(table) != rows
        }
        if self.emails_sent != before.emails_sent:
            changed["emails sent"] = {"before": before.emails_sent, "after": self.emails_sent}
        return changed


def database_snapshot() -> Snapshot:
    """Every row (all columns, in id order) of every watched table, and the emails sent."""
    return Snapshot(
        rows={
            model._meta.db_table: list(model._base_manager.order_by("pk").values_list())
            for model in _watched_models()
        },
        emails_sent=len(getattr(mail, "outbox", [])),
    )


@contextmanager
def nothing_written() -> Iterator[Snapshot]:
    """Assert that the block leaves the database (and the outbox) exactly as it was.

    Put `pytest.raises` inside it: `with nothing_written(), pytest.raises(SomeRefusal): ...`.
    """
    before = database_snapshot()
    yield before
    assert database_snapshot().changes_since(before) == {}
