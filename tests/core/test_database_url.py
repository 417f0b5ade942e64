"""DATABASE_URL to Django's settings: PostgreSQL with server-side binding and prepared
statements unless the URL says otherwise (config/database.py)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.database import PREPARE_THRESHOLD, database_from_url


def test_postgresql_binds_on_the_server_and_prepares_repeated_statements() -> None:
    options = database_from_url("postgres://u:p@db:5432/shop")["OPTIONS"]
    assert options == {"server_side_binding": True, "prepare_threshold": PREPARE_THRESHOLD}


@pytest.mark.parametrize(
    ("query", "binding", "threshold"),
    [
        ("prepare_threshold=none", True, None),
        ("prepare_threshold=off", True, None),
        ("prepare_threshold=0", True, 0),
        ("prepare_threshold=12", True, 12),
        ("server_side_binding=false&prepare_threshold=none", False, None),
        ("server_side_binding=true", True, PREPARE_THRESHOLD),
    ],
)
def test_the_url_can_turn_them_off_for_a_connection_pooler(
    query: str, binding: bool, threshold: int | None
) -> None:
    options = database_from_url(f"postgres://db/shop?{query}&sslmode=require")["OPTIONS"]
    assert options["server_side_binding"] is binding
    assert options["prepare_threshold"] == threshold
    assert options["sslmode"] == "require"  # other options pass through to libpq


def test_a_threshold_that_is_not_a_number_is_a_clear_configuration_error() -> None:
    with pytest.raises(ImproperlyConfigured, match="prepare_threshold"):
        database_from_url("postgres://db/shop?prepare_threshold=-1")


def test_sqlite_is_untouched() -> None:
    assert "server_side_binding" not in database_from_url("sqlite:////tmp/a.sqlite3")["OPTIONS"]
