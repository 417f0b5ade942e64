"""What the PostgreSQL benchmarks share: a database of their own on TEST_POSTGRES_URL's server,
and Django set up against it. Not a benchmark itself (scripts/bench.sh skips `_` files)."""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def urls(database: str) -> tuple[str, str]:
    """(the server's maintenance database, the bench's own database) on TEST_POSTGRES_URL."""
    base = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ardoise")
    parts = urlsplit(base)
    server = urlunsplit(parts._replace(path="/postgres"))
    return server, urlunsplit(parts._replace(path=f"/{database}"))


def admin(database: str, sql: str) -> None:
    """Run `sql` (CREATE / DROP DATABASE) on the server, outside any transaction."""
    import psycopg

    server, _ = urls(database)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql)


def setup_django(database_url: str, *, debug: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "1" if debug else "0"
    os.environ.setdefault("SECRET_KEY", "bench-not-secret")
    os.environ.setdefault("ENCRYPTION_KEYS", "YmVuY2gtZW5jcnlwdGlvbi1rZXktbm90LXNlY3JldCE=")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
