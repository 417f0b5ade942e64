"""`ardoise.core.inserts.create`: the row `objects.create()` would write, from an INSERT
compiled once, and a refusal for what it cannot write the same way."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ardoise.audit.models import AuditEvent
from ardoise.core import inserts
from ardoise.ledger.models import EntryKind, JournalEntry
from ardoise.shops.models import Shop
from tests.factories import make_shop, owner_of

pytestmark = pytest.mark.django_db


def _columns(row: object) -> dict[str, object]:
    return {
        field.attname: getattr(row, field.attname)
        for field in type(row)._meta.concrete_fields  # type: ignore[attr-defined]
        if field.attname not in {"id", "created_at", "recorded_at"}
    }


def test_it_writes_the_row_objects_create_writes() -> None:
    shop = make_shop()
    actor = owner_of(shop)
    values = {
        "shop_id": shop.pk,
        "actor_id": actor.pk,
        "action": "ledger.charge.posted",
        "object_type": "charge",
        "object_id": 7,
        "data": {"amount": 12_50, "note": "« café » ünïcode", "nested": [1, None, True]},
    }
    by_orm = AuditEvent.objects.create(**values)
    by_insert = inserts.create(AuditEvent, **values)

    assert by_insert.pk is not None
    assert by_insert.pk != by_orm.pk
    assert by_insert._state.adding is False
    stored = AuditEvent.objects.get(pk=by_insert.pk)
    assert _columns(stored) == _columns(AuditEvent.objects.get(pk=by_orm.pk))
    assert stored.data == values["data"]


def test_auto_now_add_is_stamped_on_the_instance_and_in_the_row() -> None:
    shop = make_shop()
    before = timezone.now()
    entry = inserts.create(
        JournalEntry,
        shop_id=shop.pk,
        kind=EntryKind.SALE,
        occurred_at=before - dt.timedelta(days=1),
        memo="T-1",
    )
    stored = JournalEntry.objects.get(pk=entry.pk)
    assert before <= entry.recorded_at <= timezone.now()
    assert stored.recorded_at == entry.recorded_at
    assert stored.occurred_at == before - dt.timedelta(days=1)
    assert (stored.memo, stored.reason, stored.reverses_id) == ("T-1", "", None)


def test_the_statement_is_compiled_once_and_sent_as_one_query() -> None:
    shop = make_shop()
    inserts.create(JournalEntry, shop_id=shop.pk, kind=EntryKind.SALE, occurred_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        inserts.create(
            JournalEntry, shop_id=shop.pk, kind=EntryKind.PAYMENT, occurred_at=timezone.now()
        )
    assert len(queries) == 1
    assert queries[0]["sql"].upper().startswith("INSERT")
    assert inserts._compiled.cache_info().hits >= 1


def test_a_model_with_save_receivers_is_refused_and_nothing_is_written() -> None:
    # payments installs a shop's payment modes on Shop's post_save
    count = Shop.objects.count()
    with pytest.raises(RuntimeError, match="signal receivers"):
        inserts.create(Shop, name="Épicerie", slug="epicerie", currency="EUR")
    assert Shop.objects.count() == count


def test_an_expression_is_refused_and_nothing_is_written() -> None:
    shop = make_shop()
    with pytest.raises(TypeError, match="plain values"):
        inserts.create(
            AuditEvent,
            shop_id=shop.pk,
            action="x",
            object_type="x",
            object_id=F("shop_id"),
        )
    assert not AuditEvent.objects.filter(action="x").exists()


def test_create_after_runs_its_statement_first_in_one_round_trip_on_postgresql() -> None:
    shop = make_shop(name="Avant")
    update = ("UPDATE shops_shop SET name = %s WHERE id = %s", ["Après", shop.pk])

    with CaptureQueriesContext(connection) as sent:
        event = inserts.create_after(
            AuditEvent, update, shop_id=shop.pk, actor_id=None, action="test.after", data={}
        )

    assert AuditEvent.objects.get(pk=event.pk).action == "test.after"
    assert Shop.objects.get(pk=shop.pk).name == "Après"
    # SQLite's WITH takes no UPDATE: there it is a statement of its own, just before.
    assert len(sent) == (1 if connection.vendor == "postgresql" else 2)


def test_create_after_writes_nothing_when_its_statement_fails() -> None:
    shop = make_shop()
    failing = ("UPDATE shops_shop SET name = NULL WHERE id = %s", [shop.pk])  # NOT NULL

    with pytest.raises(IntegrityError), transaction.atomic():
        inserts.create_after(
            AuditEvent, failing, shop_id=shop.pk, actor_id=None, action="test.after", data={}
        )

    assert not AuditEvent.objects.filter(action="test.after").exists()
    assert Shop.objects.get(pk=shop.pk).name == shop.name
