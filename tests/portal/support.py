"""Shared by the portal tests: a shop with its portal open, a customer with an account, and a
client signed in to the portal as that customer (the session the sign-in link opens)."""

import re
from typing import Any

from django.test import Client

from ardoise.customers.models import Customer
from ardoise.ledger.models import Account
from ardoise.portal.access import PORTAL_SESSION_KEY
from ardoise.shops.models import Shop
from tests.factories import make_account, make_shop


def portal_shop(**fields: Any) -> Shop:
    fields.setdefault("portal_enabled", True)
    return make_shop(**fields)


def portal_account(shop: Shop, **customer: Any) -> Account:
    customer.setdefault("email", "claire@example.com")
    customer.setdefault("name", "Claire Dubois")
    return make_account(shop, **customer)


def portal_client(customer: Customer, *, language: str = "en") -> Client:
    """A browser signed in to the customer's portal, reading English unless told."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    session = client.session
    session[PORTAL_SESSION_KEY] = {
        str(customer.shop_id): {
            "customer": customer.pk,
            "version": customer.portal_session_version,
        }
    }
    session.save()
    return client


SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/c/[^/\s]+/sign-in/[^/\s]+/)")
EMAIL_LINK = re.compile(r"https?://[^/\s]+(/c/[^/\s]+/settings/email/[^/\s]+/)")


def link_path(text: str, pattern: re.Pattern[str] = SIGN_IN_LINK) -> str:
    match = pattern.search(text)
    assert match is not None, f"no portal link in {text!r}"
    return match.group(1)
