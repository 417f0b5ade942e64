"""The signed-in customer's pages: the balance header, the history with running balances,
invoices (print and PDF), receipts, statements, settings; another customer's or another shop's
id is a 404."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer, PortalLink
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.statements.issuing import issue_statement
from tests.factories import key, make_account
from tests.invoicing.builders import line, make_invoice
from tests.portal.support import EMAIL_LINK, link_path, portal_account, portal_client, portal_shop
from tests.statements.support import pdf_text, run_worker, smtp_server, squash
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _url(name: str, account: Account, *args: object) -> str:
    return reverse(f"portal:{name}", args=[account.customer.shop.slug, *args])


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return squash(response.content.decode())


def _movements(account: Account) -> dict[str, object]:
    invoice = make_invoice(account, line("Panier de légumes", "2", "15.00"))
    top_up = ledger.record_top_up(
        account=account, amount=50_00, mode="cash", idempotency_key=key(), actor=None
    )
    return {"invoice": invoice, "top_up": top_up}


@pytest.mark.parametrize(
    ("balance", "limit", "words", "spend", "state"),
    [
        (20_00, None, "In your favour", "No spending limit", "favour"),
        (-12_50, 100_00, "Owed", "You can still spend €87.50", "owed"),
        (0, 0, "Nothing owed", "You can still spend €0.00", "zero"),
        (-30_00, 10_00, "Owed", "You can still spend €0.00", "owed"),  # over the limit: 0
    ],
)
def test_every_page_shows_the_balance_in_words_and_what_can_be_spent(
    balance: int, limit: int | None, words: str, spend: str, state: str
) -> None:
    shop = portal_shop()
    account = portal_account(shop, credit_limit=limit)
    Account.objects.filter(pk=account.pk).update(
        balance=balance, deposit=max(balance, 0), debt=max(-balance, 0)
    )
    client = portal_client(account.customer)

    for name in ("home", "history", "statements", "settings"):
        page = _text(client.get(_url(name, account)))
        assert f'data-balance-state="{state}"' in page, name
        assert f"{words}</span>" in page, name
        assert f'data-testid="spendable">{spend}</p>' in page, name


def test_french_words_for_the_balance() -> None:
    shop = portal_shop()
    account = portal_account(shop, language="fr")
    Account.objects.filter(pk=account.pk).update(balance=-5_00, debt=5_00)
    page = _text(portal_client(account.customer, language="en").get(_url("home", account)))
    assert '<html lang="fr">' in page  # the customer's setting wins over the browser
    assert "5,00 € <span" in page or "5,00 €</span>" in page
    assert "À régler</span>" in page


def test_the_history_lists_the_movements_between_two_dates_with_running_balances() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    documents = _movements(account)
    client = portal_client(account.customer)
    today = timezone.localdate()

    page = _text(client.get(_url("history", account)))

    assert page.count('class="movement"') == 2
    assert "+€50.00" in page
    assert "-€30.00" in page
    assert "€20.00</td>" in page  # the running balance after the top-up
    assert 'data-testid="closing-balance">€20.00' in page
    assert 'data-testid="opening-balance">€0.00' in page
    invoice = documents["invoice"]
    assert _url("invoice", account, invoice.charge_id) in page  # type: ignore[attr-defined]
    assert _url("receipt", account, documents["top_up"].pk) in page  # type: ignore[attr-defined]

    yesterday = (today - dt.timedelta(days=1)).isoformat()
    earlier = _text(client.get(_url("history", account), {"start": "2020-01-01", "end": yesterday}))
    assert 'class="movement"' not in earlier
    assert "No movement in these dates." in earlier


def test_a_wrong_range_says_so_next_to_the_dates() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    client = portal_client(account.customer)
    with nothing_written():
        response = client.get(
            _url("history", account), {"start": "2026-02-10", "end": "2026-02-01"}
        )
    assert response.status_code == 400
    assert "The end date is before the start date." in _text(response)
    with nothing_written():
        response = client.get(_url("history", account), {"start": "nonsense", "end": ""})
    assert response.status_code == 400
    assert "Enter a valid date." in _text(response)


def test_the_invoice_prints_and_downloads_as_a_pdf() -> None:
    shop = portal_shop(name="Ferme des Saules")
    account = portal_account(shop, language="en")
    invoice = make_invoice(account, line("Panier de légumes", "2", "15.00"))
    client = portal_client(account.customer)

    page = _text(client.get(_url("invoice", account, invoice.charge_id)))
    pdf = client.get(_url("invoice_pdf", account, invoice.charge_id))

    assert f"<span data-number>{invoice.number}</span>" in page
    assert "Panier de légumes" in page
    assert _url("history", account) in page  # back to the account
    assert pdf["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.number}.pdf"' in pdf["Content-Disposition"]
    text = squash(pdf_text(pdf.content))
    assert f"Invoice {invoice.number}" in text
    assert "€30.00" in text


def test_a_receipt_for_a_payment_or_a_top_up_only() -> None:
    shop = portal_shop()
    account = portal_account(shop, language="en")
    top_up = ledger.record_top_up(
        account=account, amount=50_00, mode="cash", idempotency_key=key(), actor=None
    )
    adjustment = ledger.post_credit_adjustment(
        account=account, amount=5_00, reason="Geste", idempotency_key=key(), actor=None
    )
    client = portal_client(account.customer)

    page = _text(client.get(_url("receipt", account, top_up.pk)))

    assert "Top-up received" in page
    assert "data-amount>€50.00" in page
    assert client.get(_url("receipt", account, adjustment.pk)).status_code == 404


def test_statements_and_their_pdf() -> None:
    shop = portal_shop()
    account = portal_account(shop, language="en")
    make_invoice(account)
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    client = portal_client(account.customer)

    page = _text(client.get(_url("statements", account)))
    pdf = client.get(_url("statement_pdf", account, statement.pk))

    assert f"No. {statement.number}" in page
    assert pdf["Content-Type"] == "application/pdf"
    assert f"Statement No. {statement.number}" in squash(pdf_text(pdf.content))


def test_another_customers_or_another_shops_documents_are_404() -> None:
    shop, other_shop = portal_shop(), portal_shop()
    account = portal_account(shop)
    neighbour = make_account(shop, email="paul@example.com")
    stranger = portal_account(other_shop)
    documents = []
    for other in (neighbour, stranger):
        invoice = make_invoice(other)
        top_up = ledger.record_top_up(
            account=other, amount=10_00, mode="cash", idempotency_key=key(), actor=None
        )
        statement = issue_statement(account=other, actor=None, idempotency_key=key())
        documents += [
            ("invoice", invoice.charge_id),
            ("invoice_pdf", invoice.charge_id),
            ("receipt", top_up.pk),
            ("statement_pdf", statement.pk),
        ]
    client = portal_client(account.customer)

    with nothing_written():
        for name, pk in documents:
            assert client.get(_url(name, account, pk)).status_code == 404, (name, pk)


def test_settings_change_the_language_at_once() -> None:
    shop = portal_shop()
    account = portal_account(shop, language="en")
    client = portal_client(account.customer)

    response = client.post(
        _url("settings", account), {"language": "fr", "email": "claire@example.com"}
    )

    assert response.status_code == 302
    assert Customer.objects.get(pk=account.customer_id).language == "fr"
    assert '<html lang="fr">' in _text(client.get(_url("settings", account)))


def test_a_new_email_changes_only_once_its_link_is_opened(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = portal_shop(name="Ferme des Saules")
    account = portal_account(shop, language="en")
    client = portal_client(account.customer)
    other_device = portal_client(account.customer)

    with smtp_server() as sink:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            response = client.post(
                _url("settings", account), {"language": "en", "email": "claire@new.example"}
            )
        run_worker()

    assert response.status_code == 302
    assert Customer.objects.get(pk=account.customer_id).email == "claire@example.com"
    assert "We sent a link to claire@new.example." in _text(client.get(response["Location"]))
    (message,) = sink.messages
    assert message["To"] == "claire@new.example"
    assert message["Subject"] == "Confirm your new email address for Ferme des Saules"
    path = link_path(message.get_content(), EMAIL_LINK)
    assert "claire@new.example" in _text(client.get(path))

    confirmed = client.post(path)

    customer = Customer.objects.get(pk=account.customer_id)
    assert (customer.email, customer.portal_session_version) == ("claire@new.example", 1)
    assert confirmed["Location"] == _url("settings", account)
    assert client.get(_url("home", account)).status_code == 200  # this browser signed in again
    assert other_device.get(_url("home", account)).status_code == 302  # the others signed out
    assert Client().post(path).status_code == 410  # once
    assert PortalLink.objects.get().used_at is not None
    event = AuditEvent.objects.get(action="customers.portal.email_changed")
    assert event.data == {"from": "claire@example.com", "to": "claire@new.example"}


def test_a_bad_email_is_refused_next_to_the_field() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    client = portal_client(account.customer)
    with nothing_written():
        response = client.post(_url("settings", account), {"language": "en", "email": "nope"})
    assert response.status_code == 400
    assert "Enter a valid email address." in _text(response)
