"""The customer page's Account tab: figures, limit, activity with its range, chart, controls."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop, User
from tests.factories import key, make_account

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 15, 0, tzinfo=dt.UTC)


def _at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=timezone.get_current_timezone())


def _tab(account: Account) -> str:
    return reverse("staff:customer_account", args=[account.customer_id])


@pytest.fixture
def history(account: Account) -> Account:
    """February: a sale of 60 €, paid 20 €. March: a sale of 30 €, a top-up of 50 €."""
    with time_machine.travel(NOW):
        ledger.post_charge(
            account=account,
            total=60_00,
            reference="F-001",
            idempotency_key=key(),
            actor=None,
            occurred_at=_at(10, 2),
        )
        ledger.record_payment(
            account=account,
            amount=20_00,
            mode="cheque",
            reference="Chq 12",
            idempotency_key=key(),
            actor=None,
            occurred_at=_at(12, 2),
        )
        ledger.post_charge(
            account=account,
            total=30_00,
            reference="F-002",
            idempotency_key=key(),
            actor=None,
            occurred_at=_at(5),
        )
        ledger.record_top_up(
            account=account,
            amount=50_00,
            mode="transfer",
            idempotency_key=key(),
            actor=None,
            occurred_at=_at(15),
        )
    account.refresh_from_db()
    return account


@time_machine.travel(NOW)
def test_account_tab_shows_the_overview(owner_client: Client, history: Account) -> None:
    response = owner_client.get(_tab(history))

    assert response.status_code == 200
    overview = response.context["overview"]
    assert (overview.balance, overview.debt, overview.deposit) == (-20_00, 20_00, 0)
    assert (overview.credit_limit, overview.used_credit, overview.available_credit) == (
        100_00,
        20_00,
        80_00,
    )
    assert response.context["customer"] == history.customer
    assert response.context["account"] == history
    body = response.content.decode()
    assert 'id="balance" class="amount negative" data-minor="-2000"' in body


@time_machine.travel(NOW)
def test_amounts_are_formatted_in_french(history: Account, owner_client: Client) -> None:
    User.objects.filter(memberships__shop=history.shop, memberships__role__kind="owner").update(
        language="fr"
    )
    ledger.record_top_up(
        account=history, amount=1234_50, mode="cash", idempotency_key=key(), actor=None
    )

    body = owner_client.get(_tab(history)).content.decode()

    assert "1\u202f214,50\xa0€" in body  # -20 € + 1 234,50 €
    assert "15/03/2026" in body


@time_machine.travel(NOW)
def test_default_activity_is_the_last_90_days_with_running_balances(
    owner_client: Client, history: Account
) -> None:
    response = owner_client.get(_tab(history))

    activity = response.context["activity"]
    assert (activity.start, activity.end) == (dt.date(2025, 12, 21), dt.date(2026, 3, 20))
    assert (activity.opening_balance, activity.closing_balance) == (0, -20_00)
    lines = [
        (line.kind, line.reference, line.amount, line.running_balance)
        for line in response.context["lines"]
    ]
    assert lines == [
        ("top_up", "", 50_00, -20_00),
        ("sale", "F-002", -30_00, -70_00),
        ("payment", "Chq 12", 20_00, -40_00),
        ("sale", "F-001", -60_00, -60_00),
    ]
    assert response.context["preset"] == "90d"


@time_machine.travel(NOW)
def test_a_range_gives_opening_and_closing_balances(owner_client: Client, history: Account) -> None:
    response = owner_client.get(_tab(history), {"start": "2026-03-01", "end": "2026-03-10"})

    activity = response.context["activity"]
    assert (activity.opening_balance, activity.closing_balance) == (-40_00, -70_00)
    assert [line.reference for line in response.context["lines"]] == ["F-002"]
    assert response.context["preset"] == ""


@time_machine.travel(NOW)
def test_presets_choose_their_range(owner_client: Client, history: Account) -> None:
    response = owner_client.get(_tab(history), {"range": "last_month"})

    activity = response.context["activity"]
    assert (activity.start, activity.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert [line.reference for line in response.context["lines"]] == ["Chq 12", "F-001"]
    assert [preset.code for preset in response.context["presets"]] == [
        "30d",
        "90d",
        "month",
        "last_month",
        "year",
        "12m",
    ]


@time_machine.travel(NOW)
def test_a_sale_links_to_its_transaction_page(owner_client: Client, history: Account) -> None:
    response = owner_client.get(_tab(history))

    sale = next(line for line in response.context["lines"] if line.reference == "F-001")
    assert f'href="{reverse("staff:charge_detail", args=[sale.charge_id])}"' in (
        response.content.decode()
    )


@time_machine.travel(NOW)
def test_payment_rows_show_their_mode(owner_client: Client, history: Account) -> None:
    with translation.override("en"):
        response = owner_client.get(_tab(history))

    details = {line.reference: line.detail for line in response.context["lines"]}
    assert details["Chq 12"] == "Cheque"


@time_machine.travel(NOW)
def test_the_balance_chart_draws_one_step_per_day(owner_client: Client, history: Account) -> None:
    response = owner_client.get(_tab(history), {"start": "2026-03-01", "end": "2026-03-20"})

    chart = response.context["chart"]
    assert (chart.first_day, chart.last_day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 20))
    assert (chart.lowest, chart.highest, chart.last_balance) == (-70_00, -20_00, -20_00)
    assert chart.path.startswith("M4.0,")
    assert chart.path.count("H") == 20  # one horizontal step per day
    assert chart.path.count("V") == 2  # the balance changed twice (5 and 15 March)
    assert f'd="{chart.path}"' in response.content.decode()


@time_machine.travel(NOW)
def test_the_chart_caption_reports_the_real_highest_and_lowest_balances(
    owner_client: Client, history: Account
) -> None:
    # The balance was -40, -70 then -20 € over the range: never 0, so the caption never says 0.
    with translation.override("en"):
        response = owner_client.get(_tab(history), {"start": "2026-03-01", "end": "2026-03-20"})

    assert "Highest -€20.00 · Lowest -€70.00" in response.content.decode()


@time_machine.travel(NOW)
def test_reversed_bounds_are_swapped_and_bad_dates_fall_back(
    owner_client: Client, history: Account
) -> None:
    swapped = owner_client.get(_tab(history), {"start": "2026-03-10", "end": "2026-03-01"})
    garbage = owner_client.get(_tab(history), {"start": "yesterday", "end": "2026-13-45"})

    assert (swapped.context["activity"].start, swapped.context["activity"].end) == (
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 10),
    )
    assert garbage.context["preset"] == "90d"


@time_machine.travel(NOW)
def test_htmx_range_change_returns_the_activity_partial(
    owner_client: Client, history: Account
) -> None:
    response = owner_client.get(
        _tab(history), {"range": "month"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activity"
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="activity">')
    assert "<html" not in body


def test_a_customer_without_account_has_no_account_tab(shop: Shop, owner_client: Client) -> None:
    from tests.factories import CustomerFactory

    customer = CustomerFactory(shop=shop)

    response = owner_client.get(reverse("staff:customer_account", args=[customer.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("movements", [1, 25])
def test_account_tab_query_count_is_pinned(
    shop: Shop,
    owner_client: Client,
    django_assert_num_queries,
    movements: int,  # type: ignore[no-untyped-def]
) -> None:
    account = make_account(shop, credit_limit=None)
    for _ in range(movements):
        ledger.post_charge(account=account, total=10_00, idempotency_key=key(), actor=None)
        ledger.record_payment(
            account=account, amount=5_00, mode="cash", idempotency_key=key(), actor=None
        )

    # session, user, membership; account; opening balance; movements in range; payment modes;
    # money received in the range (payments and refunds, deductions by settlement, automatic
    # deductions; the "account" settlements' allocations only when something was deducted
    # automatically); the statements panel's send log; the sales panel's recent sales.
    with django_assert_num_queries(12):
        response = owner_client.get(_tab(account))
    assert len(response.context["lines"]) == movements * 2


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (
            RoleKind.ASSOCIATE,
            ["/movements/payment/", "/movements/top-up/"],
            ["limit-form", "/deactivate/", "/movements/debit/", "/movements/credit/", "/edit/"],
        ),
        (
            RoleKind.MANAGER,
            ["limit-form", "/deactivate/", "/movements/debit/", "/movements/payment/"],
            [],
        ),
    ],
)
def test_controls_follow_the_members_permissions(
    account: Account,
    client_as,
    role: str,
    visible: list[str],
    hidden: list[str],  # type: ignore[no-untyped-def]
) -> None:
    from ardoise.shops.models import Role

    Role.objects.filter(kind=RoleKind.ASSOCIATE).update(
        permissions=["customers.view", "payments.record"]
    )
    body = client_as(role).get(_tab(account)).content.decode()

    assert [snippet for snippet in visible if snippet not in body] == []
    assert [snippet for snippet in hidden if snippet in body] == []


def test_the_left_menu_reaches_both_lists(owner_client: Client, account: Account) -> None:
    body = owner_client.get(_tab(account)).content.decode()

    assert f'href="{reverse("staff:customer_list")}"' in body
    assert f'href="{reverse("staff:credit_account_list")}"' in body
    assert f'href="{reverse("staff:customer_edit", args=[account.customer_id])}"' in body
