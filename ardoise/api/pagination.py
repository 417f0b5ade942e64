"""Cursor pagination for every list: `?cursor=` from the previous page's `next_cursor`.

A cursor is the last row's position, signed (django.core.signing, salted per list) so that a
client cannot forge one and cannot read anything into it; a tampered or foreign cursor is 400.
Lists are ordered by id (or by a tuple ending in the id), so a row written meanwhile never makes
a page repeat or skip a row.
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core import signing
from django.db.models import Model, QuerySet

from ardoise.api.errors import ApiError

MAX_LIMIT = 100
DEFAULT_LIMIT = 50

Row = TypeVar("Row", bound=Model)


def read_cursor(cursor: str | None, *, salt: str) -> Any:
    if not cursor:
        return None
    try:
        return signing.loads(cursor, salt=f"ardoise.api.cursor.{salt}")
    except signing.BadSignature as error:
        raise ApiError(400, "invalid_cursor", field="cursor") from error


def make_cursor(position: Any, *, salt: str) -> str:
    return signing.dumps(position, salt=f"ardoise.api.cursor.{salt}", compress=True)


def page_by_id(
    rows: QuerySet[Row], *, cursor: str | None, limit: int, salt: str
) -> tuple[list[Row], str | None]:
    """One page of `rows` in ascending id after the cursor, and the cursor of the next page."""
    after = read_cursor(cursor, salt=salt)
    if after is not None:
        if not isinstance(after, int):
            raise ApiError(400, "invalid_cursor", field="cursor")
        rows = rows.filter(pk__gt=after)
    found = list(rows.order_by("pk")[: limit + 1])
    page = found[:limit]
    more = len(found) > limit
    return page, make_cursor(page[-1].pk, salt=salt) if more and page else None


def page_of(items: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": list(items), "next_cursor": next_cursor}
