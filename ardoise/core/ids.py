"""Ids from outside (a URL, a query parameter, a form's hidden field) as database ids.

An id is ASCII digits within a signed 64-bit integer, the range of every primary key on both
databases. Anything else names no row: `²` and `١٢` (which `str.isdigit()` accepts and `int()`
refuses or reads), 2^63 (which SQLite cannot even bind: OverflowError) and 5,000 digits (which
`int()` refuses) are no id, never a server error. URLs take ids through the `id` converter
(registered by `CoreConfig.ready`): a path whose id is out of range is no route, a 404.
"""

from collections.abc import Iterable

MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(value: object) -> int | None:
    """The id a text names (`"42"` is 42, `"0"` is 0), or None for anything else."""
    text = value if isinstance(value, str) else ""
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids among `values` (a form's checked rows), in order; the rest are dropped."""
    return [number for number in map(parse_id, values) if number is not None]


class IdConverter:
    """`<id:customer_id>`: like Django's `int`, but only within MAX_ID (else no match: 404)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(f"not an id: {value[:30]!r}")
        return number

    def to_url(self, value: int) -> str:
        return str(value)
