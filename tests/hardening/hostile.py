"""The hostile values the walk types into every field and query parameter.

Each kind of field (a free text, an amount or number, a date, a week, a choice or an id, a
checkbox, a hidden value of any sort) gets, in a fixed order:
- `ESSENTIAL[kind]`: what every field of the kind must survive (10^20 and `1e400000` in every
  amount, years 0001 and 9999 in every date, `9999-W52` in every week, a NUL, a huge string, an
  XSS and a formula payload in every text);
- a few values of `MORE[kind]` (`PER_FIELD`), taken in turn: the first field of a kind gets
  the first ones, the next field the next ones, so that the walk as a whole types every value
  of the list into some field of its kind (the walk asserts it) without typing each into every
  field;
- one or two values drawn from a hypothesis strategy of the kind (`PER_FIELD`), with a seed
  made from the field's name: the same values run after run and on both databases, other
  values per field.

`WALK_SCALE=4` multiplies both locally to look harder (1 by default, which keeps the walk
within about a minute per database).
"""

import datetime as dt
import os
import zlib
from functools import cache

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

# (values of MORE rotated in, values drawn) per field of each kind: enough fields of each kind
# meet the page for every value of MORE to be typed somewhere. WALK_SCALE multiplies both.
SCALE = int(os.environ.get("WALK_SCALE", "1"))
PER_FIELD: dict[str, tuple[int, int]] = {
    "text": (2, 1),
    "number": (3, 2),
    "date": (3, 2),
    "week": (4, 2),
    "choice": (1, 1),
    "flag": (1, 1),
    "any": (1, 1),
}

HUGE = "A" * 100_000  # more than any column, any maxlength, any sane request line
XSS = "<script>alert(1)</script>"
TEN_TO_THE_20 = "100000000000000000000"

ESSENTIAL: dict[str, list[str]] = {
    "text": ["", "\x00", HUGE, XSS, '=HYPERLINK("http://evil.example","x")'],
    "number": [TEN_TO_THE_20, "1e400000", "NaN", "١٢", "12,505", "1_000", "-0", "\x00"],
    "date": ["0001-01-01", "9999-12-31", "9999-W52", "2026-02-30", "garbage", "\x00"],
    "week": ["9999-W52", "0001-W01", "2026-W99", "garbage", "\x00"],
    "choice": ["", "²", "9223372036854775808", "\x00"],
    "flag": ["", "2", "\x00"],
    "any": ["", "\x00", HUGE, "²"],
}

MORE: dict[str, list[str]] = {
    "text": [
        " ",
        "a\x00b",
        "\x01\x02\x1b[31m\x7f\x9f",  # control characters (C0, escape, C1)
        "\r\nSet-Cookie: injected=1",  # header injection
        "\u202eevil\u202c",  # right-to-left override
        "\ufeff\u200b\u2028\u2029",  # BOM, zero-width space, line and paragraph separators
        "\uffff\U0010ffff",  # non-characters
        "e\u0301" * 3,  # combining accents
        "💶🧾" * 50,  # astral characters (4 bytes in UTF-8)
        '"><img src=x onerror=alert(1)>',
        "javascript:alert(1)",
        "{{ 7|add:7 }}{% debug %}",  # template syntax
        "%(name)s %s %d {0}",  # format placeholders
        "' OR 1=1 --",
        "@SUM(1+1)*cmd|' /C calc'!A0",  # spreadsheet formula
        "+1+1",
        "-2+3",
        "../../../../etc/passwd",
        "x" * 256,
        "A" * 5_000,
        "١٢",
        TEN_TO_THE_20,
    ],
    "number": [
        "-" + TEN_TO_THE_20,
        "1e9",
        "-1e400000",
        "-0,00",
        "0",
        "-1",
        "sNaN",
        "Infinity",
        "-inf",
        "１２",  # full-width digits
        "১২",  # Bengali digits
        "²",
        "0,0000000001",
        "0.123456789012345678901234567890",
        "1,234.50",
        "1.234,50",
        "12.",
        ",5",
        "+5",
        "--1",
        "0x10",
        "9" * 5_000,  # more digits than int() takes from a string (4300)
        "9223372036854775808",  # 2^63
        "-9223372036854775809",
        "99999999999,99",
        "100000000000,00",
        "1.7976931348623157e+308",
        "12,50 €",
        "",
        "A" * 5_000,
    ],
    "date": [
        "0001-01-02",
        "9999-01-01",
        "0000-01-01",
        "10000-01-01",
        "-0001-01-01",
        "2026-13-01",
        "2026-00-00",
        "9999-12-31T23:59:59",
        "2026-01-01T00:00:00+99:00",
        "20260101",
        "01/02/2026",
        "२०२६-०१-०१",  # Devanagari digits
        "",
        "A" * 5_000,
    ],
    "week": [
        "9999-W53",
        "0000-W01",
        "2026-W00",
        "2026-W-1",
        "10000-W01",
        "-1-W3",
        "2026W10",
        "2026-W١٠",
        "W",
        "9999-12-31",
        "",
        "A" * 5_000,
    ],
    "choice": [
        "0",
        "-1",
        "01",
        "1.5",
        "1e3",
        TEN_TO_THE_20,
        "99" * 40,
        "9" * 5_000,
        "١",
        XSS,
        "on",
        HUGE,
    ],
    "flag": ["0", "1", "off", "true", "-1"],
    "any": [
        " ",
        "-1",
        "0",
        TEN_TO_THE_20,
        "9" * 5_000,
        "9999-W52",
        "0001-01-01",
        "1e400000",
        "\r\nX: y",
        XSS,
    ],
}


def _week_text(year: int, week: int) -> str:
    return f"{year:04d}-W{week:02d}"


STRATEGIES: dict[str, st.SearchStrategy[str]] = {
    "text": st.one_of(
        st.text(),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
        st.builds(
            lambda text, count: text * count,
            st.text(min_size=1, max_size=3),
            st.integers(1, 3000),
        ),
    ),
    "number": st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
        st.from_regex(r"\A-?[0-9\u0660-\u0669]{1,25}([.,][0-9]{0,12})?\Z"),
    ),
    "date": st.one_of(
        st.dates().map(dt.date.isoformat),
        st.datetimes().map(dt.datetime.isoformat),
        st.from_regex(r"\A-?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}\Z"),
    ),
    "week": st.one_of(
        st.builds(_week_text, st.integers(-1, 99_999), st.integers(-1, 99)),
        st.from_regex(r"\A[0-9]{0,6}-?W?[0-9]{0,3}\Z"),
    ),
    "choice": st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=25),
    ),
}
STRATEGIES["any"] = st.one_of(*STRATEGIES.values())
STRATEGIES["flag"] = STRATEGIES["any"]


@cache
def drawn(kind: str, name: str, count: int) -> tuple[str, ...]:
    """`count` values of the kind's strategy, the same ones every run for the same name."""
    values: list[str] = []
    if not count:
        return ()

    @seed(zlib.crc32(f"{kind}:{name}".encode()))
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(STRATEGIES[kind])
    def collect(value: str) -> None:
        values.append(value)

    collect()
    return tuple(values)


class Corpus:
    """Hands out each field's values, rotating through `MORE` kind by kind."""

    def __init__(self) -> None:
        self.turns: dict[str, int] = {}
        self.sent: dict[str, set[str]] = {}

    def values(self, kind: str, name: str, *, few: bool = False) -> list[str]:
        """The values for the field `name` of this kind; `few` for a field like one already
        walked (`line-3-item` after `line-0-item`, a cashier's form the owner walked)."""
        kind = kind if kind in ESSENTIAL else "any"
        if few:
            return list(dict.fromkeys([*ESSENTIAL[kind][:3], *drawn(kind, name, 1)]))
        more, (rotate, draw) = MORE[kind], PER_FIELD[kind]
        rotate, draw = min(rotate * SCALE, len(more)), draw * SCALE
        turn = self.turns.get(kind, 0)
        self.turns[kind] = turn + rotate
        rotated = [more[(turn + step) % len(more)] for step in range(rotate)]
        self.sent.setdefault(kind, set()).update(rotated)
        return list(dict.fromkeys([*ESSENTIAL[kind], *rotated, *drawn(kind, name, draw)]))

    def untried(self) -> dict[str, list[str]]:
        """The values of MORE that no field of their kind got (kinds the walk met)."""
        return {
            kind: [value for value in MORE[kind] if value not in sent]
            for kind, sent in self.sent.items()
            if any(value not in sent for value in MORE[kind])
        }
