"""Customers and credit accounts lists: search, sort, filters, pages, and pinned query counts."""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.customers.models import Customer
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import Role, RoleKind, Shop
from tests.factories import CustomerFactory, client_for, key, make_account, make_shop, owner_of
from tests.ledger.support import charge, top_up

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        row.customer.name if isinstance(row, Account) else row.name
        for row in response.context["page"].object_list
    ]


@pytest.fixture
def accounts(shop: Shop) -> dict[str, Account]:
    """Four customers, one of each kind the filters tell apart."""
    debtor = make_account(
        shop,
        credit_limit=None,
        name="Alice Debtor",
        company="Bistrot Zinc",
        email="alice@bistrot.fr",
        phone="06 11 22 33 44",
    )
    prepaid = make_account(shop, credit_limit=50_00, name="Bruno Prepaid", email="b@ex.fr")
    over = make_account(shop, credit_limit=100_00, name="Chloé Over", email="c@ex.fr")
    none = make_account(shop, credit_limit=0, name="Denis Nocredit", email="d@ex.fr")
    charge(debtor, 80_00)
    top_up(prepaid, 25_00, mode="cash")
    charge(over, 90_00)
    ledger.change_credit_limit(account=over, credit_limit=40_00, actor=None, idempotency_key=key())
    return {"debtor": debtor, "prepaid": prepaid, "over": over, "none": none}


def test_customer_list_shows_each_customer_with_balance_and_limit(
    owner_client: Client, accounts: dict[str, Account]
) -> None:
    response = owner_client.get(reverse("staff:customer_list"))

    assert response.status_code == 200
    assert _names(response) == ["Alice Debtor", "Bruno Prepaid", "Chloé Over", "Denis Nocredit"]
    balances = {
        row.name: (row.balance, row.credit_limit) for row in response.context["page"].object_list
    }
    assert balances == {
        "Alice Debtor": (-80_00, None),
        "Bruno Prepaid": (25_00, 50_00),
        "Chloé Over": (-90_00, 40_00),
        "Denis Nocredit": (0, 0),
    }
    assert "-€80.00" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alice", ["Alice Debtor"]),
        ("ZINC", ["Alice Debtor"]),  # company, any case
        ("b@ex.fr", ["Bruno Prepaid"]),  # email
        ("06 11 22", ["Alice Debtor"]),  # phone
        ("over chloé", ["Chloé Over"]),  # every word must match
        ("nobody", []),
    ],
)
def test_search_matches_name_company_email_and_phone(
    owner_client: Client, accounts: dict[str, Account], query: str, expected: list[str]
) -> None:
    response = owner_client.get(reverse("staff:customer_list"), {"q": query})

    assert _names(response) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("balance", ["Chloé Over", "Alice Debtor", "Denis Nocredit", "Bruno Prepaid"]),
        ("-balance", ["Bruno Prepaid", "Denis Nocredit", "Alice Debtor", "Chloé Over"]),
        ("-name", ["Denis Nocredit", "Chloé Over", "Bruno Prepaid", "Alice Debtor"]),
        ("nonsense", ["Alice Debtor", "Bruno Prepaid", "Chloé Over", "Denis Nocredit"]),
    ],
)
def test_customer_list_sorts(
    owner_client: Client, accounts: dict[str, Account], sort: str, expected: list[str]
) -> None:
    response = owner_client.get(reverse("staff:customer_list"), {"sort": sort})

    assert _names(response) == expected


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("owes", ["Alice Debtor", "Chloé Over"]),
        ("credit", ["Bruno Prepaid"]),
        ("over_limit", ["Chloé Over"]),
        ("no_credit", ["Denis Nocredit"]),
    ],
)
def test_customer_list_filters(
    owner_client: Client, accounts: dict[str, Account], filter_: str, expected: list[str]
) -> None:
    response = owner_client.get(reverse("staff:customer_list"), {"filter": filter_})

    assert _names(response) == expected


def test_customer_without_account_is_listed_and_links_to_its_details(
    shop: Shop, owner_client: Client
) -> None:
    loose = CustomerFactory(shop=shop, name="Zoé Sanscompte")

    response = owner_client.get(reverse("staff:customer_list"))

    assert _names(response) == ["Zoé Sanscompte"]
    assert response.context["page"].object_list[0].balance is None
    assert reverse("staff:customer_edit", args=[loose.pk]) in response.content.decode()


def test_lists_never_show_another_shops_customers(
    owner_client: Client, accounts: dict[str, Account]
) -> None:
    other = make_shop()
    make_account(other, name="Alice Elsewhere")

    customers = owner_client.get(reverse("staff:customer_list"), {"q": "alice"})
    credit = owner_client.get(reverse("staff:credit_account_list"), {"q": "alice"})

    assert _names(customers) == ["Alice Debtor"]
    assert _names(credit) == ["Alice Debtor"]


def test_customer_list_pages_by_fifty(shop: Shop, owner_client: Client) -> None:
    Customer.objects.bulk_create(
        [Customer(shop=shop, name=f"Client {number:03d}") for number in range(120)]
    )

    first = owner_client.get(reverse("staff:customer_list"))
    third = owner_client.get(reverse("staff:customer_list"), {"page": 3})

    assert (len(_names(first)), first.context["page"].paginator.count) == (50, 120)
    assert _names(third) == [f"Client {number:03d}" for number in range(100, 120)]
    assert 'rel="next"' in first.content.decode()


def test_htmx_search_returns_only_the_results_partial(
    owner_client: Client, accounts: dict[str, Account]
) -> None:
    response = owner_client.get(
        reverse("staff:customer_list"),
        {"q": "bruno"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body
    assert _names(response) == ["Bruno Prepaid"]


def test_credit_account_list_shows_debt_and_deposit(
    owner_client: Client, accounts: dict[str, Account]
) -> None:
    ledger.post_charge(account=accounts["prepaid"], total=10_00, idempotency_key=key(), actor=None)
    ledger.post_charge(account=accounts["debtor"], total=5_00, idempotency_key=key(), actor=None)

    response = owner_client.get(reverse("staff:credit_account_list"), {"sort": "-debt"})

    rows = [
        (row.customer.name, row.debt, row.deposit, row.balance)
        for row in response.context["page"].object_list
    ]
    assert rows == [
        ("Chloé Over", 90_00, 0, -90_00),
        ("Alice Debtor", 85_00, 0, -85_00),
        ("Denis Nocredit", 0, 0, 0),
        ("Bruno Prepaid", 0, 15_00, 15_00),
    ]
    link = reverse("staff:customer_account", args=[accounts["debtor"].customer_id])
    assert f'href="{link}"' in response.content.decode()


def test_credit_account_list_searches(owner_client: Client, accounts: dict[str, Account]) -> None:
    response = owner_client.get(reverse("staff:credit_account_list"), {"q": "bistrot"})

    assert _names(response) == ["Alice Debtor"]


def _queries_for(client: Client, url: str, django_assert_num_queries, count: int) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(count):
        assert client.get(url).status_code == 200


# session, user, membership (shared by the decorator and the template context), then the list:
# one count and one query for the page, whatever the number of rows.
LIST_QUERIES = 5


@pytest.mark.parametrize("rows", [3, 60])
def test_customer_list_query_count_is_pinned(
    shop: Shop,
    owner_client: Client,
    django_assert_num_queries,
    rows: int,  # type: ignore[no-untyped-def]
) -> None:
    for number in range(rows):
        make_account(shop, credit_limit=0, name=f"Client {number:02d}")

    url = reverse("staff:customer_list") + "?q=client&sort=-balance&filter=no_credit"
    _queries_for(owner_client, url, django_assert_num_queries, LIST_QUERIES)
    _queries_for(
        owner_client, reverse("staff:customer_list"), django_assert_num_queries, LIST_QUERIES
    )


@pytest.mark.parametrize("rows", [3, 60])
def test_credit_account_list_query_count_is_pinned(
    shop: Shop,
    owner_client: Client,
    django_assert_num_queries,
    rows: int,  # type: ignore[no-untyped-def]
) -> None:
    for number in range(rows):
        make_account(shop, name=f"Client {number:02d}")

    url = reverse("staff:credit_account_list") + "?q=client&sort=debt"
    _queries_for(owner_client, url, django_assert_num_queries, LIST_QUERIES)


def test_new_customer_button_only_for_members_who_may_create(shop: Shop, client_as) -> None:  # type: ignore[no-untyped-def]
    Role.objects.filter(shop=shop, kind=RoleKind.ASSOCIATE).update(permissions=["customers.view"])
    viewer = client_as(RoleKind.ASSOCIATE)
    editor = client_for(owner_of(shop))
    create = reverse("staff:customer_create")

    assert create not in viewer.get(reverse("staff:customer_list")).content.decode()
    assert create in editor.get(reverse("staff:customer_list")).content.decode()


def test_has_a_deposit_filter_finds_every_account_with_a_deposit_even_in_debt(
    owner_client: Client, shop: Shop
) -> None:
    # Given a shop that does not apply credits automatically, and a customer who owes 80,00 €
    # while 30,00 € they paid in is not yet applied (balance -50,00 €, Deposit 30,00 €).
    Shop.objects.filter(pk=shop.pk).update(auto_allocate=False)
    both = make_account(shop, credit_limit=None, name="Emma Both")
    charge(both, 80_00)
    top_up(both, 30_00)
    make_account(shop, credit_limit=None, name="Fanny Nothing")
    both.refresh_from_db()
    assert (both.balance, both.debt, both.deposit) == (-50_00, 80_00, 30_00)

    # When the list is filtered on "Has a deposit"
    response = owner_client.get(reverse("staff:customer_list"), {"filter": "credit"})

    # Then the account is found, though its balance is negative.
    assert _names(response) == ["Emma Both"]
