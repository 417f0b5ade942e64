"""Customer search: every word in the name, company, email or phone, within one shop, ignoring
case and accents."""

import pytest

from ardoise.customers.models import Customer
from tests.factories import make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers() -> dict[str, Customer]:
    shop = make_shop()
    rows = {
        "lea": Customer.objects.create(shop=shop, name="Léa Moreau", email="lea@ex.fr"),
        "zinc": Customer.objects.create(
            shop=shop, name="Hugo Durand", company="Le Petit Zinc", phone="04 72 11 22 33"
        ),
    }
    Customer.objects.create(shop=make_shop(), name="Léa Ailleurs")
    return rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("léa", ["lea"]),
        ("LÉA moreau", ["lea"]),
        ("petit zinc", ["zinc"]),
        ("72 11", ["zinc"]),
        ("ex.fr", ["lea"]),
        ("", ["zinc", "lea"]),
        ("lea", ["lea"]),  # accents ignored
        ("LEA MOREAU", ["lea"]),
        ("0472112233", ["zinc"]),  # a phone typed without spaces
        ("léa zinc", []),
    ],
)
def test_search(customers: dict[str, Customer], text: str, expected: list[str]) -> None:
    shop_id = customers["lea"].shop_id

    found = list(Customer.objects.for_shop(shop_id).search(text).order_by("-id"))

    assert found == [customers[name] for name in expected]


def test_search_text_follows_an_edit(customers: dict[str, Customer]) -> None:
    from ardoise.customers.services import update_customer

    update_customer(customer=customers["lea"], actor_id=None, name="Léa Fontaine")

    shop_id = customers["lea"].shop_id
    assert list(Customer.objects.for_shop(shop_id).search("fontaine")) == [customers["lea"]]
    assert list(Customer.objects.for_shop(shop_id).search("moreau")) == []
