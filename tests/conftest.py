"""Test-suite wiring: database engines, optional real parts (PostgreSQL, Chromium), factories.

Tests that need PostgreSQL are marked `postgres` and skipped, with the reason, when this run uses
SQLite; `make test` runs the suite a second time against PostgreSQL when one is reachable, and
with CI=true an unreachable PostgreSQL fails the run (see the Makefile). Browser tests skip with
the reason when Chromium is missing, and fail instead with CI=true.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.test import Client

from ardoise.core.append_only import purge_allowed
from ardoise.shops.models import RoleKind, Shop
from tests.factories import client_for, make_member, make_shop, owner_of

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

SQLiteOperations = SQLiteWrapper.ops_class
_flush = SQLiteOperations.execute_sql_flush


def _flush_allowing_purge(self: Any, sql_list: list[str]) -> None:
    # Emptying the test database between transactional tests deletes append-only rows; the
    # triggers allow it only inside purge_allowed(), which no production code path enters.
    with purge_allowed():
        _flush(self, sql_list)


SQLiteOperations.execute_sql_flush = _flush_allowing_purge


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: this run uses SQLite; `make test` runs these against "
        "TEST_POSTGRES_URL when it is reachable (required with CI=true)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def owner_client(shop: Shop) -> Client:
    """The owner of `shop` (each test folder's own `shop` fixture), signed in."""
    return client_for(owner_of(shop))


@pytest.fixture
def client_as(shop: Shop) -> Callable[[str], Client]:
    """A signed-in client for a new member of `shop` holding the built-in role `kind`."""

    def make(kind: str = RoleKind.ASSOCIATE) -> Client:
        return client_for(make_member(shop, kind))

    return make


@pytest.fixture
def other_client(db: None) -> Client:
    """The owner of another shop: every id of `shop` must be a 404 for them."""
    return client_for(owner_of(make_shop()))


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.path.exists(configured) else None
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A Playwright browser on Debian's Chromium (never `playwright install`)."""
    path = chromium_path()
    if path is None:
        message = "Chromium not found (install Debian's `chromium` or set CHROMIUM_PATH)"
        if IN_CI:
            pytest.fail(message + ": required with CI=true")
        pytest.skip(message)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; on failure a screenshot lands in test-artifacts/."""
    # Playwright's `wait_for_function` evaluates its predicate inside the page, which the
    # Content-Security-Policy forbids (no eval): the test's own scripts bypass it. The pages are
    # checked against the policy by a test with a context of its own.
    context = chromium.new_context(base_url=live_server.url, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        os.makedirs("test-artifacts", exist_ok=True)
        page.screenshot(path=f"test-artifacts/{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
