"""How a use case's transaction meets its caller's (the rule in `ledger.services`' docstring).

A use case that no other use case composes is durable: called inside a transaction, it refuses.
A composed one joins its caller's transaction without a savepoint, so that a refusal fails the
caller's whole event. (The test's own transaction, pytest-django's, counts as neither: a use case
called from a test runs there as it runs outermost.)
"""

import pytest
from django.db import transaction
from pytest_django import DjangoAssertNumQueries

from ardoise.ledger import services as ledger
from ardoise.ledger.errors import CreditLimitExceeded
from ardoise.ledger.models import Account
from tests.factories import key
from tests.ledger.support import charge
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def test_a_use_case_nothing_composes_refuses_to_run_inside_a_transaction(
    account: Account,
) -> None:
    with nothing_written(), transaction.atomic(), pytest.raises(RuntimeError, match="durable"):
        ledger.post_credit_adjustment(
            account=account, amount=5_00, reason="geste", idempotency_key=key(), actor=None
        )


def test_a_composed_use_case_joins_its_callers_transaction_without_a_savepoint(
    account: Account, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with transaction.atomic(), django_assert_num_queries(7) as captured:
        sale = charge(account, 20_00, vat_amount=2_00)

    assert [
        query["sql"] for query in captured.captured_queries if "SAVEPOINT" in query["sql"]
    ] == []
    assert sale.total == 20_00


def test_a_refusal_in_a_composed_use_case_fails_the_callers_transaction(account: Account) -> None:
    with nothing_written(), transaction.atomic():
        with pytest.raises(CreditLimitExceeded):
            charge(account, 100_01)
        assert transaction.get_rollback() is True
