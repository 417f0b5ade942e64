"""DATABASE_URL to Django's DATABASES entry.

Without DATABASE_URL Ardoise runs on an embedded SQLite file. SQLite is configured so that the
same ledger code is correct on both engines: WAL lets readers proceed during a write, IMMEDIATE
transactions take the write lock at BEGIN (so two writers queue instead of failing half-way with
"database is locked" on lock upgrade), synchronous=FULL makes a commit durable, and the busy
timeout makes a queued writer wait rather than fail.

PostgreSQL is reached with server-side binding and prepared statements: the parameters travel
apart from the statement (psycopg's C dumpers instead of quoting each value into the text in
Python), and a statement a connection has run five times is prepared, so PostgreSQL parses and
plans it once per connection instead of on every request. A charge over the API costs the
database about a third less CPU this way (bench/api.py). Behind a PgBouncer older than 1.21 in
transaction mode, which cannot keep prepared statements, add `?prepare_threshold=none` to
DATABASE_URL; `?server_side_binding=false` brings back Django's default client-side binding.
"""

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# psycopg prepares a statement once a connection has run it this many times (its default).
PREPARE_THRESHOLD = 5
_OFF = {"false", "no", "off", "none", "0"}


def sqlite_database(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA foreign_keys=ON;"
                f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000};"
            ),
        },
        "TEST": {"NAME": None},
    }


def _prepare_threshold(text: str) -> int | None:
    """`?prepare_threshold=`: a number of runs, or none/off (never prepare)."""
    if text in _OFF - {"0"}:
        return None
    if not text.isdigit():
        raise ImproperlyConfigured(
            f"DATABASE_URL's prepare_threshold must be a whole number or none, not {text!r}"
        )
    return int(text)


def database_from_url(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql"}:
        options: dict[str, Any] = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        options["server_side_binding"] = (
            str(options.get("server_side_binding", "true")).lower() not in _OFF
        )
        options["prepare_threshold"] = _prepare_threshold(
            str(options.get("prepare_threshold", PREPARE_THRESHOLD)).lower()
        )
        return {
            "ENGINE": "ardoise.core.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "ardoise",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    if parts.scheme == "sqlite":
        return sqlite_database(Path(unquote(parts.path)))
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres:// or sqlite:///, not {parts.scheme!r}"
    )
