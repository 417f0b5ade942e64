"""One row of a model by a written WHERE, without building a queryset on every call.

`Model.objects.raw()` and querysets rebuild their machinery on every call (the query, the
compiler, the column-to-field mapping, the converters). For a read that every API write does
(the account of the customer it names) that was 8 % of the instructions a charge cost its
server (counted with callgrind; bench/api.py).

`first()` builds the statement and the database's converters once per model, WHERE clause and
database, and on each call only converts the row's values as the compiler does
(`apply_converters`: SQLite's dates come back as text, for instance) and builds the instance
with `Model.from_db`, as a queryset would: every field loaded, none deferred.
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router

from ardoise.core.cursors import statement

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


def first(model: type[M], where: str, params: Sequence[Any], *, order_by: str = "") -> M | None:
    """The first row of `model` matching `where` (SQL with %s placeholders), or None.

    `order_by` is SQL too (the default is the primary key, as `.first()` orders)."""
    using = router.db_for_read(model)
    connection = connections[using]
    sql, names, converters = _compiled(model, where, order_by, using, connection.vendor)
    with statement(using) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for index, field, field_converters in converters:
        for converter in field_converters:
            values[index] = converter(values[index], field, connection)
    return model.from_db(using, names, values)


@cache
def _compiled(
    model: type[models.Model], where: str, order_by: str, using: str, vendor: str
) -> tuple[str, list[str], list[tuple[int, Any, list[Converter]]]]:
    """The SELECT of every concrete field, their attribute names, and per column the
    converters the database and the field apply to it (`vendor` keys the cache)."""
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    columns = ", ".join(quote(field.column) for field in fields)
    order = order_by or quote(meta.pk.column)
    # `where` and `order_by` are the caller's SQL text, never input: values go in `params`.
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where} ORDER BY {order} LIMIT 1"  # noqa: S608
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if found:
            converters.append((index, expression, found))
    return sql, [field.attname for field in fields], converters
