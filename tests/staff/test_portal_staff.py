"""The back office's side of the portal: the invitation from the Account tab (emailed by the
worker through a real SMTP server, audited, refused with a reason), signing a customer out
everywhere, and Settings → Customer portal with the shop's own address."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.shops.models import Shop
from tests.factories import client_for, owner_of
from tests.portal.support import link_path, portal_account, portal_client, portal_shop
from tests.statements.support import run_worker, smtp_server, squash
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _invite(client: Client, customer_id: int) -> object:
    return client.post(reverse("staff:customer_portal_invite", args=[customer_id]), follow=True)


def test_the_invitation_emails_a_sign_in_link_that_works(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = portal_shop(name="Ferme des Saules")
    account = portal_account(shop, language="en")
    owner = client_for(owner_of(shop))
    tab = squash(
        owner.get(reverse("staff:customer_account", args=[account.customer_id])).content.decode()
    )
    assert "Send portal invitation" in tab

    with smtp_server() as sink:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            response = _invite(owner, account.customer_id)
        assert sink.messages == []
        run_worker()

    page = squash(response.content.decode())  # type: ignore[attr-defined]
    assert "Portal invitation sent to claire@example.com" in page
    (message,) = sink.messages
    assert message["Subject"] == "Your customer portal at Ferme des Saules"
    assert message["To"] == "claire@example.com"
    body = message.get_content()
    assert "Ferme des Saules invites you to its customer portal" in body
    event = AuditEvent.objects.get(action="customers.portal.invited")
    assert (event.actor_id, event.object_id) == (owner_of(shop).pk, account.customer_id)

    browser = Client()
    assert browser.post(link_path(body)).status_code == 302
    assert browser.get(reverse("portal:home", args=[shop.slug])).status_code == 200


@pytest.mark.parametrize(
    ("portal_enabled", "email", "message"),
    [
        (False, "claire@example.com", "The customer portal is off"),
        (True, "", "This customer has no email address"),
    ],
)
def test_the_invitation_is_refused_with_the_reason(
    portal_enabled: bool, email: str, message: str, django_capture_on_commit_callbacks: object
) -> None:
    shop = portal_shop(portal_enabled=portal_enabled)
    account = portal_account(shop, email=email)
    owner = client_for(owner_of(shop))

    with nothing_written(), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = _invite(owner, account.customer_id)

    assert message in squash(response.content.decode())  # type: ignore[attr-defined]


def test_staff_sign_a_customer_out_of_the_portal_everywhere() -> None:
    shop = portal_shop()
    account = portal_account(shop)
    browser = portal_client(account.customer)
    owner = client_for(owner_of(shop))

    owner.post(reverse("staff:customer_portal_sign_out", args=[account.customer_id]))

    assert Customer.objects.get(pk=account.customer_id).portal_session_version == 1
    assert browser.get(reverse("portal:home", args=[shop.slug])).status_code == 302
    assert AuditEvent.objects.filter(action="customers.portal.signed_out_everywhere").count() == 1


def test_settings_show_the_portal_address_and_save_every_choice() -> None:
    shop = portal_shop(portal_enabled=False)
    owner = client_for(owner_of(shop))
    url = reverse("staff:portal_settings")

    page = squash(owner.get(url).content.decode())
    response = owner.post(
        url,
        {
            "portal_enabled": "on",
            "ordering_open": "on",
            "top_up_minimum": "15,50",
            "notify_new_orders": "on",
        },
    )

    assert f"{settings.SITE_URL}/c/{shop.slug}/" in page
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (
        shop.portal_enabled,
        shop.ordering_open,
        shop.order_payment_required,
        shop.top_up_minimum,
        shop.notify_new_orders,
    ) == (True, True, False, 15_50, True)
    event = AuditEvent.objects.get(action="shops.portal_settings.changed")
    assert event.data["top_up_minimum"] == {"from": 10_00, "to": 15_50}
    assert Client().get(f"/c/{shop.slug}/").status_code == 302  # open now: asks to sign in


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("0", "The amount must be greater than zero."),
        ("abc", "Enter an amount, for example 12,50."),
        ("200000", "At most the largest amount payable online (€100,000.00)."),
    ],
)
def test_a_wrong_smallest_top_up_is_refused_next_to_the_field(amount: str, error: str) -> None:
    shop = portal_shop()
    owner = client_for(owner_of(shop))

    with nothing_written():
        response = owner.post(reverse("staff:portal_settings"), {"top_up_minimum": amount})

    assert response.status_code == 400
    assert error in squash(response.content.decode())
    assert Shop.objects.get(pk=shop.pk).portal_enabled is True
