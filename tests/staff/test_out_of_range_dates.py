"""A year 0001 or 9999 in any date filter or week parameter is clamped, never an error page."""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.ledger.models import Account

pytestmark = pytest.mark.django_db

EXTREMES = [
    {"start": "0001-01-01", "end": "9999-12-31"},
    {"start": "9999-01-01", "end": "9999-12-31"},
    {"start": "0001-01-01", "end": "0001-01-02"},
]


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "2026-W99", "10000-W01", "-1-W3"])
def test_the_payments_page_clamps_an_extreme_week(owner_client: Client, week: str) -> None:
    response = owner_client.get(reverse("staff:payments_week"), {"week": week})

    assert response.status_code == 200


@pytest.mark.parametrize("params", EXTREMES)
def test_extreme_dates_are_clamped_on_the_account_tab_the_sales_list_and_the_export(
    owner_client: Client, account: Account, params: dict[str, str]
) -> None:
    tab = owner_client.get(reverse("staff:customer_account", args=[account.customer_id]), params)
    sales = owner_client.get(reverse("staff:sale_list"), params)
    export = owner_client.get(reverse("exports:sales_by_mode"), params)

    assert (tab.status_code, sales.status_code, export.status_code) == (200, 200, 200)
    assert tab.context["activity"].start.year >= 2000
    assert tab.context["activity"].end.year <= 9000
