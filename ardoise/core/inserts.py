"""One new row of a table every posting writes, without compiling its INSERT on every call.

`Model.objects.create()` builds the INSERT afresh each time: the compiler walks the fields,
quotes the names and assembles the text, then sends `pre_save` and `post_save`. For the rows
written by every charge and payment (the journal entry, the charge or credit, the audit event)
that was about a fifth of the CPU an API charge cost its server (bench/api.py). `create()` here
compiles the text once per model and database with Django's own compiler, so it is the text
`Model.objects.create()` sends, and on each call only converts the values, field by field, as
`save()` does (`pre_save`, then `get_db_prep_save`: `auto_now_add` stamps, JSON, dates).

It sends no `pre_save`/`post_save` signal and takes plain values only (no `F()` or other
expression). Only models that no receiver listens to are written this way: `create()` refuses
the others, and a model with a `db_default` (tests/core/test_inserts.py).
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models import signals
from django.db.models.fields import NOT_PROVIDED
from django.db.models.sql import InsertQuery

from ardoise.core.cursors import statement

M = TypeVar("M", bound=models.Model)


Statement = tuple[str, Sequence[Any]]


def create(model: type[M], **values: Any) -> M:
    """`model.objects.create(**values)`: the instance, saved, with its id."""
    return _create(model, values, None)


def create_after(model: type[M], before: Statement, **values: Any) -> M:
    """`create()`, with `before` (sql, params) run first in the same transaction: a statement
    whose result nobody reads, such as an UPDATE. On PostgreSQL both go in one statement, so in
    one round trip (`WITH before AS (UPDATE ...) INSERT ...`: PostgreSQL runs a data-modifying
    WITH once, whether or not the INSERT reads it); SQLite's WITH takes no UPDATE, so there it is
    a statement of its own, just before."""
    return _create(model, values, before)


def _create(model: type[M], values: dict[str, Any], before: Statement | None) -> M:
    if any(hasattr(value, "resolve_expression") for value in values.values()):
        raise TypeError("inserts.create() takes plain values: use objects.create() for expressions")
    instance = model(**values)
    using = router.db_for_write(model, instance=instance)
    connection = connections[using]
    if _listened(model):
        raise RuntimeError(f"{model.__name__} has save signal receivers: use objects.create()")
    sql, fields = _compiled(model, using, connection.vendor)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    with statement(using) as cursor:
        if before is not None and connection.vendor == "postgresql":
            sql, params = f"WITH before AS ({before[0]}) {sql}", [*before[1], *params]
        elif before is not None:
            cursor.execute(*before)
        cursor.execute(sql, params)
        (pk,) = cursor.fetchone()
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = using
    return instance


def _listened(model: type[models.Model]) -> bool:
    return signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)


@cache
def _compiled(
    model: type[models.Model], using: str, vendor: str
) -> tuple[str, list[models.Field[Any, Any]]]:
    """The INSERT of one row of `model` and the fields its placeholders stand for, in order:
    the concrete fields but the automatic id, which comes back with RETURNING (`vendor` keys
    the cache, as the text is the database's)."""
    meta = model._meta
    fields = [
        field
        for field in meta.local_concrete_fields
        if field is not meta.auto_field and not field.generated
    ]
    if any(field.db_default is not NOT_PROVIDED for field in fields):
        raise RuntimeError(f"{model.__name__} has a db_default: use objects.create()")
    query = InsertQuery(model)
    query.insert_values(fields, [model()])
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [meta.pk]
    [(sql, _)] = compiler.as_sql()
    return sql, fields
