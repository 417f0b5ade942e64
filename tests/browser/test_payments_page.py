"""The Payments page in real Chromium: at 1366 px the week's totals are in view, at 390 px (a
phone) the page does not scroll sideways (the grid scrolls in its own box), in French and in
English. Screenshots land in test-artifacts/ to be looked at."""

import datetime as dt
import os
import re
from typing import Any

import pytest
from django.utils import timezone

from ardoise.ledger import services as ledger
from ardoise.payments import services as payments
from ardoise.shops.models import Shop, User
from tests.factories import PASSWORD, key, make_account, make_shop, owner_of
from tests.payments.test_money_received import invoice_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def busy_week() -> Shop:
    """A week with every kind of row and as many columns as a shop may have."""
    shop = make_shop(auto_allocate=False)
    for label in ("Titres-restaurant", "Chèque cadeau"):
        payments.add_payment_mode(shop_id=shop.pk, label=label, actor=None)
    today = timezone.localdate()
    accounts = [
        make_account(shop, name=name, company=company)
        for name, company in [
            ("Camille Martin", "Le Petit Zinc"),
            ("Bruno Lefèvre", ""),
            ("Élodie Charbonnier-Delacroix", "Restaurant La Grange aux Loups"),
        ]
    ]
    ledger.record_top_up(
        account=accounts[1], amount=100_00, mode="transfer", idempotency_key=key(), actor=None
    )
    for number, account in enumerate(accounts * 3):
        invoice = invoice_on(account, today, f"{20 + number * 7}.50")
        mode = ["cash", "cheque", "card", "titres_restaurant"][number % 4]
        payments.settle_invoice(
            invoice=invoice, mode=mode, amount=15_00, actor=None, idempotency_key=key()
        )
    old = invoice_on(accounts[0], today - dt.timedelta(weeks=3), "48.00")
    payments.settle_invoice(
        invoice=old, mode="cash", amount=48_00, actor=None, idempotency_key=key()
    )
    ledger.issue_credit_note(
        charge=old.charge,
        amount=8_00,
        reason="Abîmé",
        refund_mode="cash",
        idempotency_key=key(),
        actor=None,
    )
    deducted = invoice_on(accounts[1], today, "30.00")
    payments.settle_invoice(
        invoice=deducted, mode="account", amount=30_00, actor=None, idempotency_key=key()
    )
    return shop


# The box the grid scrolls in: its own container, or the table (phones make tables scroll).
SCROLLING_BOX = (
    "[document.querySelector('#week-scroll'), document.querySelector('#week-table')]"
    ".find(box => box.scrollWidth > box.clientWidth + 1) || null"
)


def sign_in(page: Any, user: User) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _screenshot(page: Any, name: str) -> None:
    os.makedirs("test-artifacts", exist_ok=True)
    page.screenshot(path=f"test-artifacts/{name}.png", full_page=True)


def _in_view(page: Any, selector: str) -> bool:
    """The element is drawn inside the window, not hidden behind a sideways scroll."""
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth
                && box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        selector,
    )


def _inside_its_scroll_box(page: Any, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            const frame = document.querySelector('#week-scroll').getBoundingClientRect();
            return box.width > 0 && box.left >= frame.left && box.right <= frame.right;
        }""",
        selector,
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_weeks_totals_are_in_view_at_1366_px_and_a_phone_does_not_scroll_sideways(
    page: Any, busy_week: Shop, language: str
) -> None:
    owner = owner_of(busy_week)
    owner.language = language
    owner.save(update_fields=["language"])
    sign_in(page, owner)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/sales/payments/")
    _screenshot(page, f"payments-1366-{language}")
    money = page.locator("#week-received").inner_text().replace("\u202f", " ").replace("\xa0", " ")
    # 9 settlements of 15 + 48 cash on an older invoice - 8 paid back in cash + the top-up.
    expected = "275,00 €" if language == "fr" else "€275.00"
    assert money == expected
    assert _in_view(page, "#week-received")
    assert _in_view(page, "#week-deducted")
    assert _inside_its_scroll_box(page, "#grand-total")  # the tfoot total, too, at the left
    # Nine mode columns and every total by mode fit: nothing is hidden behind a sideways scroll.
    assert page.evaluate(
        "(() => { const box = document.querySelector('#week-scroll');"
        " return box.scrollWidth <= box.clientWidth; })()"
    )
    assert all(
        _inside_its_scroll_box(page, f"[data-total='{mode}']")
        for mode in ("cash", "account", "online", "titres_restaurant", "cheque_cadeau")
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/sales/payments/")
    _screenshot(page, f"payments-390-{language}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert _in_view(page, "#week-received")
    # The grid is wider than a phone: it scrolls inside its own box (the table itself on a phone,
    # as every table of the back office does), the page does not.
    assert page.evaluate(f"(() => {{ const box = {SCROLLING_BOX}; return box !== null; }})()")
    # Scrolled sideways to type in a mode cell, the row's invoice stays in view beside it.
    page.evaluate(f"({SCROLLING_BOX}).scrollLeft = 400")
    page.locator("#week-table").screenshot(
        path=f"test-artifacts/payments-390-scrolled-{language}.png"
    )
    assert page.evaluate(
        f"""(() => {{
            const cell = document.querySelector('#week-table tbody td:nth-child(3)');
            const box = ({SCROLLING_BOX});
            const frame = box.getBoundingClientRect(), seen = cell.getBoundingClientRect();
            return box.scrollLeft > 0 && seen.left >= frame.left - 1 && seen.right <= frame.right;
        }})()"""
    )
