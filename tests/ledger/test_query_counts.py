"""Query counts of the two busiest posting services, pinned (same on SQLite and PostgreSQL).

Called from a test, the service's transaction (`posting.composable()`) is a savepoint (the test
owns the outer transaction), so SAVEPOINT and RELEASE SAVEPOINT are counted; in production they
are BEGIN and COMMIT, which Django does not log (and inside a caller's transaction, nothing:
tests/ledger/test_transactions.py). `select_for_update()` adds no statement of its own.
"""

import pytest
from pytest_django import DjangoAssertNumQueries

from ardoise.ledger.models import Account, ChargeStatus
from tests.ledger.support import charge, pay

pytestmark = pytest.mark.django_db


def test_post_charge_queries(
    account: Account, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    charge(account, 10_00)

    with django_assert_num_queries(9):
        # 1. SAVEPOINT
        # 2. INSERT the idempotency claim ... ON CONFLICT DO NOTHING RETURNING id
        # 3. UPDATE the account row, guarded by the limit, RETURNING balance, limit, Debt and
        #    Deposit: a Deposit of 0 means no unapplied credit, so no allocation is read at all
        # 4. INSERT the journal entry
        # 5. INSERT the three postings (customer, sales, VAT) in one statement
        # 6. INSERT the charge
        # 7. INSERT the audit event
        # 8. UPDATE the idempotency record with the charge id
        # 9. RELEASE SAVEPOINT
        sale = charge(account, 20_00, vat_amount=2_00)

    assert (sale.open_amount, sale.status) == (20_00, ChargeStatus.OPEN)


def test_record_payment_queries_do_not_grow_with_the_charges_it_settles(
    account: Account, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    sales = [charge(account, 10_00) for _ in range(5)]

    with django_assert_num_queries(16):
        # 1. SAVEPOINT
        # 2. INSERT the idempotency claim ... ON CONFLICT DO NOTHING RETURNING id
        # 3. UPDATE the account row (balance, Deposit, version) RETURNING balance, limit, Debt
        #    and Deposit (both above 0 here: there is something to allocate)
        # 4. INSERT the journal entry
        # 5. INSERT the two postings (customer, mode:cash) in one statement
        # 6. INSERT the credit
        # 7. SELECT the shop's auto_allocate setting
        # 8. SELECT ... FOR UPDATE the unapplied credits, by id
        # 9. SELECT ... FOR UPDATE the open charges, by id
        # 10. INSERT the five allocations in one statement
        # 11. UPDATE the five charges' open amounts and statuses in one statement
        # 12. UPDATE the credit's unapplied amount (the instance returned is updated in place)
        # 13. UPDATE the account's Debt and Deposit by the amount allocated
        # 14. INSERT the audit event
        # 15. UPDATE the idempotency record with the credit id
        # 16. RELEASE SAVEPOINT
        payment = pay(account, 55_00)

    assert payment.unapplied_amount == 5_00
    for sale in sales:
        sale.refresh_from_db()
        assert sale.status == ChargeStatus.PAID
