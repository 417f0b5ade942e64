"""The API's busiest write, pinned: a charge over HTTP sends the ledger's statements and five of
its own on SQLite, four on PostgreSQL (where the response and the call's audit event are one
statement). `bench/api.py` replays these very statements as its raw
side and stops if they change.

From a test the write's transaction is a savepoint (the test owns the outer one), so SAVEPOINT
and RELEASE SAVEPOINT are counted; in production they are BEGIN and COMMIT, not logged.
"""

from django.db import connection
from pytest_django import DjangoAssertNumQueries

from ardoise.api.access import account_for
from ardoise.api.auth import Caller
from ardoise.ledger.models import Account
from tests.api.conftest import ApiClient


def test_a_charge_over_the_api_queries(
    api: ApiClient, account: Account, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    body = {"customer_id": account.customer_id, "amount": "12.00", "currency": "EUR"}
    api.post("/charges", {**body, "vat_amount": "2.00"}, key="first")

    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(13 if postgresql else 14):
        # 1. UPDATE the key's token bucket RETURNING the key (authentication and rate limit)
        # 2. SELECT the account by customer (a written statement)
        # 3. SAVEPOINT
        # 4. INSERT the API's idempotency claim ... ON CONFLICT DO NOTHING RETURNING id
        # 5-10. the ledger's charge: its claim, the guarded UPDATE of the account, the journal
        #    entry, the three postings in one statement, the charge, its audit event
        # 11. UPDATE the ledger's claim with the charge id
        #    (the guarded UPDATE returned the balance after the charge: the response reads
        #    nothing more)
        # 12. UPDATE the API's claim with the response and INSERT the audit event of the call
        #    (the key's name): one statement on PostgreSQL, two on SQLite (inserts.create_after)
        # 13. RELEASE SAVEPOINT
        response = api.post("/charges", {**body, "vat_amount": "2.00"}, key="second")

    assert response.status_code == 201
    assert response.json()["balance_after"] == "-24.00"


def test_the_account_of_a_write_is_read_whole(account: Account) -> None:
    """`account_for` is a written statement: it must select every field of the model, or a
    field added later would be read by a query of its own each time it is used."""
    caller = Caller(key_id=1, shop_id=account.shop_id, name="Till", scopes=frozenset())

    found = account_for(caller, account.customer_id)

    assert found.get_deferred_fields() == set()
    assert (found.pk, found.balance, found.credit_limit) == (account.pk, 0, 100_00)
