"""Signing in to a shop's portal with an emailed link: short-lived, signed, single-purpose, once,
per shop; asking for it says nothing about the address; throttled; emailed by the worker through
a real SMTP server."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.customers.models import PortalLink, PortalLinkPurpose
from ardoise.customers.portal_links import create_link, sign_out_everywhere
from ardoise.portal.access import PORTAL_SESSION_KEY
from ardoise.shops.services import PORTAL_LINKS_PER_EMAIL
from tests.factories import client_for, owner_of
from tests.portal.support import link_path, portal_account, portal_client, portal_shop
from tests.statements.support import run_worker, smtp_server
from tests.support import database_snapshot, nothing_written

pytestmark = pytest.mark.django_db


def _ask(client: Client, shop, email: str, capture) -> object:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(reverse("portal:sign_in", args=[shop.slug]), {"email": email})


def test_the_emailed_link_signs_the_customer_in_once(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = portal_shop(name="Ferme des Saules")
    account = portal_account(shop, language="en")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")

    with smtp_server() as sink:
        response = _ask(browser, shop, "Claire@Example.com ", django_capture_on_commit_callbacks)
        assert sink.messages == []  # queued, not sent inside the request
        run_worker()

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign_in_sent", args=[shop.slug])
    (message,) = sink.messages
    assert message["To"] == "claire@example.com"
    assert message["Subject"] == "Your sign-in link for Ferme des Saules"
    body = message.get_content()
    path = link_path(body)
    assert "The link works once, for 15 minutes." in body
    link = PortalLink.objects.get()
    assert (link.customer_id, link.purpose, link.used_at) == (
        account.customer_id,
        PortalLinkPurpose.SIGN_IN,
        None,
    )
    assert path.split("/")[-2] not in link.nonce_hash  # only a hash is stored

    confirm = browser.get(path)  # a mail scanner fetching the link does not use it up
    assert confirm.status_code == 200
    assert "Sign in as Claire Dubois." in confirm.content.decode()
    signed_in = browser.post(path)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("portal:home", args=[shop.slug])
    assert browser.session[PORTAL_SESSION_KEY] == {
        str(shop.pk): {"customer": account.customer_id, "version": 0}
    }
    assert "_auth_user_id" not in browser.session  # never a Django login
    home = browser.get(signed_in["Location"])
    assert home.status_code == 200
    assert 'data-testid="balance"' in home.content.decode()

    other = Client()
    assert other.post(path).status_code == 410  # works once
    assert PORTAL_SESSION_KEY not in other.session


def test_asking_answers_the_same_for_an_unknown_address(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = portal_shop()
    portal_account(shop)
    known = _ask(Client(), shop, "claire@example.com", django_capture_on_commit_callbacks)
    before = database_snapshot()

    unknown = _ask(Client(), shop, "nobody@example.com", django_capture_on_commit_callbacks)

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    changes = database_snapshot().changes_since(before)
    assert set(changes) == {"shops_sign_in_throttle"}  # counted, nothing queued
    sent = Client(HTTP_ACCEPT_LANGUAGE="en").get(unknown["Location"]).content.decode()
    assert "If this address belongs to a customer of" in sent


def test_an_invalid_address_is_an_error_next_to_the_field() -> None:
    shop = portal_shop()
    with nothing_written():
        response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
            reverse("portal:sign_in", args=[shop.slug]), {"email": "not an address"}
        )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_asking_too_often_sends_nothing_and_reads_the_same(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = portal_shop()
    portal_account(shop)
    for _ in range(PORTAL_LINKS_PER_EMAIL):
        _ask(Client(), shop, "claire@example.com", django_capture_on_commit_callbacks)
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.count()
    response = _ask(Client(), shop, "claire@example.com", django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign_in_sent", args=[shop.slug])
    assert DBTaskResult.objects.count() == queued == PORTAL_LINKS_PER_EMAIL


def test_the_link_expires_after_15_minutes() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    token = create_link(customer=account.customer)
    path = reverse("portal:sign_in_link", args=[shop.slug, token])

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)), nothing_written():
        response = Client(HTTP_ACCEPT_LANGUAGE="en").post(path)

    assert response.status_code == 410
    assert "it has expired or was already used" in response.content.decode()


def test_a_link_is_for_one_shop_and_one_purpose() -> None:
    shop, other_shop = portal_shop(), portal_shop()
    account = portal_account(shop)
    token = create_link(customer=account.customer)
    email_token = create_link(
        customer=account.customer,
        purpose=PortalLinkPurpose.EMAIL_CHANGE,
        new_email="new@example.com",
    )
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    unsigned = signing.loads(token, salt="ardoise.portal.sign-in")["n"]

    with nothing_written():
        for shop_slug, candidate in [
            (other_shop.slug, token),  # another shop's portal
            (shop.slug, email_token),  # another purpose's salt
            (shop.slug, tampered),
            (shop.slug, unsigned),  # the bare nonce, unsigned
        ]:
            response = Client().post(reverse("portal:sign_in_link", args=[shop_slug, candidate]))
            assert response.status_code == 410, candidate


def test_a_closed_or_unknown_portal_is_404_everywhere() -> None:
    shop = portal_shop(portal_enabled=False)
    account = portal_account(shop)
    client = portal_client(account.customer)
    token = create_link(customer=account.customer)

    for url in [
        reverse("portal:home", args=[shop.slug]),
        reverse("portal:sign_in", args=[shop.slug]),
        reverse("portal:sign_in_link", args=[shop.slug, token]),
        reverse("portal:home", args=["no-such-shop"]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("portal:sign_in_link", args=[shop.slug, token])).status_code == 404
    assert PortalLink.objects.get().used_at is None


def test_a_page_asks_to_sign_in_first_and_comes_back_after() -> None:
    shop = portal_shop()
    response = Client().get(reverse("portal:home", args=[shop.slug]))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("portal:sign_in", args=[shop.slug]) + f"?next=%2Fc%2F{shop.slug}%2F"
    )


def test_staff_sign_the_customer_out_everywhere() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    client = portal_client(account.customer)
    assert client.get(reverse("portal:home", args=[shop.slug])).status_code == 200

    sign_out_everywhere(customer=account.customer, actor_id=owner_of(shop).pk)

    assert client.get(reverse("portal:home", args=[shop.slug])).status_code == 302
    assert PORTAL_SESSION_KEY in client.session
    assert client.session[PORTAL_SESSION_KEY] == {}


def test_signing_out_ends_the_session() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    client = portal_client(account.customer)

    response = client.post(reverse("portal:sign_out", args=[shop.slug]))

    assert response["Location"] == reverse("portal:sign_in", args=[shop.slug])
    assert client.get(reverse("portal:home", args=[shop.slug])).status_code == 302


def test_a_session_for_one_shop_does_not_open_another() -> None:
    shop, other_shop = portal_shop(), portal_shop()
    account = portal_account(shop)
    portal_account(other_shop)  # the same address, another shop's customer
    client = portal_client(account.customer)

    assert client.get(reverse("portal:home", args=[other_shop.slug])).status_code == 302


def test_a_staff_session_does_not_open_the_portal() -> None:
    shop = portal_shop()
    portal_account(shop)
    owner = client_for(owner_of(shop))

    response = owner.get(reverse("portal:home", args=[shop.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:sign_in", args=[shop.slug]))


def test_an_archived_customer_is_signed_out() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    client = portal_client(account.customer)
    type(account.customer).objects.filter(pk=account.customer_id).update(is_archived=True)

    assert client.get(reverse("portal:home", args=[shop.slug])).status_code == 302
