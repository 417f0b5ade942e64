"""A customer signed in to the portal never reaches a back-office page: every URL of the
permission matrix (the resolver's `staff:` and `exports:` patterns), every method it serves,
answers a customer the way it answers a visitor who is not signed in, and writes nothing."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.portal.support import portal_client
from tests.staff.test_permission_matrix import (
    CASES,
    PUBLIC,
    ROUTES,
    Probe,
    _send,
    _url_name,
    back_office_url_names,
    build_world,
)
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


def test_every_back_office_url_is_probed() -> None:
    assert {_url_name(key_) for key_ in ROUTES} | PUBLIC == back_office_url_names()


@pytest.mark.parametrize(("key_", "probe"), CASES)
def test_a_customer_session_is_sent_to_the_staff_sign_in(key_: str, probe: Probe) -> None:
    world = build_world()
    world.shop.portal_enabled = True
    world.shop.save(update_fields=["portal_enabled"])
    client = portal_client(world.account.customer)
    assert client.get(reverse("portal:home", args=[world.shop.slug])).status_code == 200
    before = database_snapshot()

    response = _send(client, key_, probe, world)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")
    assert database_snapshot().changes_since(before) == {}
