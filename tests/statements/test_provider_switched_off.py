"""A shop left on the test provider after the deployment switched it off: the link page and the
statement email say online payment is unavailable, never an error page."""

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from ardoise.payments.models import Checkout
from ardoise.statements.issuing import issue_statement
from ardoise.statements.links import create_payment_link
from ardoise.statements.services import queue_statement_email
from tests.factories import client_for, key, make_shop, owner_of
from tests.statements.support import account_with_charges, enable_online_payment, run_worker

pytestmark = pytest.mark.django_db


def test_the_link_page_says_online_payment_is_unavailable(
    django_capture_on_commit_callbacks,
) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop()
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [40_00], language="en")
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    token = create_payment_link(statement=statement, days=30)

    with override_settings(PAYMENTS_TEST_PROVIDER=False):
        page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("portal:statement", args=[token]))
        paid = Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("portal:statement_pay", args=[token]))
        with django_capture_on_commit_callbacks(execute=True):
            queue_statement_email(
                statement=statement, email="c@example.com", actor=None, idempotency_key=key()
            )
        run_worker()

    assert page.status_code == 200
    assert page.context["payment"].state == "unavailable"
    assert "This shop does not take payments online." in page.content.decode()
    assert paid.status_code == 409  # not payable online, said on the page
    assert "This shop does not take payments online." in paid.content.decode()
    assert Checkout.objects.filter(shop=shop).count() == 0
    assert "Pay statement" not in mail.outbox[0].body


def test_the_back_office_pages_still_open_for_such_a_shop() -> None:
    shop = make_shop()
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [40_00], language="en")
    owner = client_for(owner_of(shop))

    with override_settings(PAYMENTS_TEST_PROVIDER=False):
        pages = [
            owner.get(reverse("staff:statement_settings")),
            owner.get(reverse("staff:statement_preview", args=[account.customer_id])),
            owner.get(reverse("staff:customer_account", args=[account.customer_id])),
        ]

    assert [page.status_code for page in pages] == [200, 200, 200]
