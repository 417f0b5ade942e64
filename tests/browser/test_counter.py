"""In Chromium: the cashier finds the customer by typing (accents ignored), sees what the account
may still take and the running total before delivering; the Sales list searches as you type.
Both pages fit a 390 px phone without scrolling sideways.

Set SCREENSHOTS=<dir> to keep a picture of each page at 1366 and 390 px."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Order
from tests.browser.test_invoicing import sign_in
from tests.factories import make_account, make_shop, owner_of
from tests.invoicing.builders import make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


@pytest.fixture
def counter():  # type: ignore[no-untyped-def]
    shop = make_shop(auto_allocate=False)
    invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name="Tomates",
        unit="kg",
        unit_price=Decimal("4.2000"),
        vat_rate=Decimal("5.5"),
    )
    helene = make_account(
        shop, email="", name="Hélène Dupré", company="Le Bistrot", credit_limit=80_00
    )
    make_invoice(helene)  # owes 60,00 €: 20,00 € available
    roomy = make_account(shop, email="", name="Héloïse Martin", credit_limit=100_00)
    bruno = make_account(shop, email="", name="Bruno Zola")  # no limit
    for _n in range(3):
        make_invoice(bruno)
    return shop, helene, roomy


@pytest.mark.parametrize("width", [1366, 390])
def test_the_cashier_finds_helene_by_typing_and_sees_the_running_total(
    page, counter, width: int
) -> None:
    shop, _helene, roomy = counter
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner_of(shop))
    page.goto("/sales/new/")

    page.fill("#id_customer_q", "helo")
    page.wait_for_selector("#customer-results li a")
    assert page.locator("#customer-results li a").all_inner_texts() == ["Héloïse Martin"]
    page.fill("#id_customer_q", "")
    page.keyboard.type("hel")
    page.wait_for_function("document.querySelectorAll('#customer-results li a').length === 2")
    assert page.locator("#customer-results li a").all_inner_texts() == [
        "Hélène Dupré (Le Bistrot)",
        "Héloïse Martin",
    ]
    _shot(page, f"counter-search-fr-{width}")
    assert _fits(page)

    page.click("text=Héloïse Martin")
    page.wait_for_selector("#customer-picker .picked")
    available = page.locator("[data-testid=available-credit]").inner_text()
    assert available.replace("\u202f", " ").replace("\xa0", " ") == "100,00 €"
    page.fill("input[name=line-0-item]", "Tomates")
    page.keyboard.press("Enter")
    page.keyboard.type("30")  # 126,00 €: more than the 100,00 € available
    total = page.locator("#running-total").inner_text()
    assert total.replace("\u202f", " ").replace("\xa0", " ") == "126,00 €"
    assert page.locator("#over-available").is_visible()
    page.fill("input[name=line-0-quantity]", "2")
    assert not page.locator("#over-available").is_visible()
    _shot(page, f"counter-picked-fr-{width}")
    assert _fits(page)

    page.click("button[value=order]")
    page.wait_for_url(re.compile(r"/sales/orders/\d+/$"))
    order = Order.objects.get(customer=roomy.customer)
    assert order.total == 8_40


def test_without_javascript_the_customer_is_found_by_a_plain_form(chromium, live_server, counter):  # type: ignore[no-untyped-def]
    shop, _helene, _roomy = counter
    context = chromium.new_context(
        base_url=live_server.url, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    owner = owner_of(shop)
    owner.language = "en"
    owner.save(update_fields=["language"])
    try:
        sign_in(page, owner)
        page.goto("/sales/new/")
        page.fill("#id_customer_q", "HELENE")
        page.click("text=Find")
        page.wait_for_selector("#customer-results li a")
        page.click("text=Hélène Dupré (Le Bistrot)")
        page.wait_for_selector("#customer-picker .picked")
        assert page.locator("[data-testid=available-credit]").inner_text() == "€20.00"
        _shot(page, "counter-nojs-en-1366")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_the_sales_list_searches_as_you_type_and_fits_a_phone(page, counter, width: int) -> None:
    shop, _helene, _roomy = counter
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, owner_of(shop))
    page.goto("/sales/")
    assert page.locator("#sales tbody tr").count() == 4
    page.fill("#id_q", "helene")
    page.wait_for_function("document.querySelectorAll('#sales tbody tr').length === 1")
    assert "Hélène Dupré" in page.locator("#sales tbody").inner_text()
    assert "q=helene" in page.url
    _shot(page, f"sales-list-fr-{width}")
    assert _fits(page)
