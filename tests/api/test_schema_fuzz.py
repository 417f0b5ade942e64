"""schemathesis over the whole schema: no 500, every response as the schema says, and a refused
request writes nothing. On SQLite by default, and on PostgreSQL when the suite runs there.

Examples are bounded (API_FUZZ_EXAMPLES per operation, 8 by default) so that it runs in a few
minutes; raise it locally to look harder. Most generated ids name nothing of the key's shop: a 404
is a refusal too, and it must write nothing.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import business_snapshot, new_secret
from tests.factories import make_account, make_shop

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def fuzz_secret(db: None) -> Iterator[str]:
    """A key of a shop with one account. Requests go through the real WSGI handler, which
    closes the database connection after each response: as Django's test client does, that is
    switched off, or the test's transaction would be closed under it."""
    shop = make_shop()
    make_account(shop, credit_limit=50_00, name="Fuzz")
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield new_secret(shop)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@override_settings(API_RATE_BURST=100_000, API_RATE_PER_MINUTE=6_000_000)
@pytest.mark.slow
def test_the_api_keeps_its_schema_and_a_refusal_writes_nothing(case: Any, fuzz_secret: str) -> None:
    before = business_snapshot()

    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_secret}"},
        # A valid request may still be refused by a rule (an unknown id is 404, the limit 422):
        # acceptance of every schema-valid request is not a property of this API.
        excluded_checks=[positive_data_acceptance],
    )

    if response.status_code >= 400:
        assert business_snapshot().changes_since(before) == {}
