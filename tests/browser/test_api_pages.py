"""The API's documentation page and Settings → API in real Chromium, with the network cut off
but for the live server: everything renders from Ardoise itself, in French and in English, and
at 390 px (a phone) the page itself never scrolls sideways (a wide table scrolls in its box)."""

from typing import Any
from urllib.parse import urlsplit

import pytest

from ardoise.shops.models import Shop
from tests.browser.test_back_office import sign_in
from tests.factories import make_shop, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


@pytest.fixture
def shop() -> Shop:
    return make_shop(name="Épicerie fine des Trois Chênes et Fils")


def _offline(page: Any) -> list[str]:
    """Abort every request that is not for the live server; the list of those aborted."""
    blocked: list[str] = []

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).hostname in {"127.0.0.1", "localhost"}:
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    return blocked


def _overflow(page: Any) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.mark.parametrize("size", [DESK, PHONE], ids=["1366", "390"])
@pytest.mark.parametrize(
    ("language", "heading", "summary"),
    [
        ("fr", "Paramètre", "Créer un client et son compte"),
        ("en", "Parameter", "Create a customer and their account"),
    ],
    ids=["fr", "en"],
)
def test_the_api_documentation_renders_offline_and_fits_the_screen(
    chromium: Any,
    live_server: Any,
    size: dict[str, int],
    language: str,
    heading: str,
    summary: str,
) -> None:
    context = chromium.new_context(base_url=live_server.url, locale=language, viewport=size)
    page = context.new_page()
    blocked = _offline(page)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    page.goto("/api/v1/docs")
    page.wait_for_load_state("networkidle")

    assert (blocked, failed) == ([], [])
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("[...document.styleSheets].every(s => s.cssRules.length > 0)")
    assert page.locator("section.operation").count() >= 20
    assert page.locator("th", has_text=heading).first.is_visible()
    assert page.locator("#create_customer p", has_text=summary).is_visible()
    # A field's description is on the screen, wide enough to read, not in a squeezed column.
    balance = page.locator("#schema-AccountOut tbody tr").nth(2).locator("td").last
    balance.scroll_into_view_if_needed()
    box = balance.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= size["width"]
    if size == PHONE:  # below its field, the width of the page
        assert box["width"] >= 0.8 * page.locator("main").bounding_box()["width"]
    assert _overflow(page) <= 0
    main = page.locator("main").bounding_box()
    assert main["x"] >= 0
    assert main["x"] < size["width"] / 2  # on a phone, below the list, not beside it
    context.close()


@pytest.mark.parametrize("size", [DESK, PHONE], ids=["1366", "390"])
def test_settings_api_fits_the_screen_with_a_new_key(
    page: Any, shop: Shop, size: dict[str, int]
) -> None:
    blocked = _offline(page)
    page.set_viewport_size(size)
    sign_in(page, owner_of(shop).email)
    page.goto("/settings/api/")
    page.fill("#id_name", "Caisse du comptoir de la fromagerie, à gauche en entrant")
    page.check("input[name=scopes][value='customers.view']")
    with page.expect_navigation():
        page.click("#new-key button[type=submit]")

    assert blocked == []
    assert page.locator("[data-secret]").inner_text().startswith("ard_")
    assert _overflow(page) <= 0


def test_a_long_key_name_leaves_the_revoke_button_in_sight(page: Any, shop: Shop) -> None:
    page.set_viewport_size(DESK)
    sign_in(page, owner_of(shop).email)
    page.goto("/settings/api/")
    page.fill("#id_name", "x" * 80)  # the longest name, without a space to wrap at
    page.check("input[name=scopes][value='customers.view']")
    with page.expect_navigation():
        page.click("#new-key button[type=submit]")

    button = page.locator("tr[data-key] button[type=submit]").bounding_box()
    assert button["x"] + button["width"] <= DESK["width"]
