"""Sign-in and password reset under attack: parallel attempts, a proxy in front, floods."""

import threading

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from ardoise.shops.models import Shop, SignInThrottle
from ardoise.shops.services import FAILURES_PER_ADDRESS, FAILURES_PER_EMAIL, RESETS_PER_EMAIL
from tests.factories import PASSWORD, make_shop, owner_of

LOCKED = "Too many failed sign-in attempts."
WRONG = "Wrong email or password."
checked: list[str] = []


class CountingBackend(ModelBackend):
    """Test double of the password check's entry point: the real ModelBackend, counted, to
    prove how many attempts reached the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def,override]
        checked.append(username or "")
        return super().authenticate(request, username=username, password=password, **kwargs)


def _attempt(email: str, password: str, forwarded_for: str = "") -> str:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **headers)
    response = client.post(reverse("staff:login"), {"username": email, "password": password})
    if response.status_code == 302:
        return "signed in"
    # The page, not response.context: the test client's context capture is not thread-safe.
    page = response.content.decode()
    return LOCKED if LOCKED in page else WRONG if WRONG in page else page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(AUTHENTICATION_BACKENDS=[f"{__name__}.CountingBackend"])
def test_parallel_wrong_passwords_cannot_pass_the_email_limit() -> None:
    shop = make_shop()
    email = owner_of(shop).email
    checked.clear()
    results: list[str] = []
    start = threading.Barrier(16)

    def worker() -> None:
        start.wait()
        try:
            results.append(_attempt(email, "wrong"))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(checked) == FAILURES_PER_EMAIL  # only that many reached the password
    assert len(results) == 16
    assert results.count(WRONG) + results.count(LOCKED) == 16
    assert results.count(LOCKED) >= 16 - FAILURES_PER_EMAIL + 1
    assert _attempt(email, PASSWORD) == LOCKED


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1)
def test_behind_the_proxy_one_addresss_failures_never_lock_other_accounts(shop: Shop) -> None:
    # Every request comes from the proxy (REMOTE_ADDR 127.0.0.1); the proxy appends the client.
    for number in range(FAILURES_PER_ADDRESS):
        _attempt(f"stranger{number}@ex.fr", "wrong", forwarded_for="1.1.1.1, 203.0.113.7")

    owner = owner_of(shop)
    assert _attempt(owner.email, PASSWORD, forwarded_for="198.51.100.4") == "signed in"
    assert _attempt("another@ex.fr", "wrong", forwarded_for="203.0.113.7") == LOCKED
    # A client cannot pick its address by sending its own header entries: only the last counts.
    assert _attempt("another@ex.fr", "wrong", forwarded_for="9.9.9.9, 203.0.113.7") == LOCKED
    assert SignInThrottle.objects.filter(key="address:203.0.113.7").count() == 1
    assert not SignInThrottle.objects.filter(key__startswith="address:1.1.1.1").exists()
    assert not SignInThrottle.objects.filter(key="address:127.0.0.1").exists()


@pytest.mark.django_db
def test_successful_sign_ins_from_one_address_never_lock_it(shop: Shop) -> None:
    owner = owner_of(shop)
    for _ in range(FAILURES_PER_ADDRESS + 5):
        assert _attempt(owner.email, PASSWORD) == "signed in"


@pytest.mark.django_db
def test_password_reset_requests_are_throttled_and_read_the_same(shop: Shop) -> None:
    owner = owner_of(shop)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    answers = [
        client.post(reverse("staff:password_reset"), {"email": owner.email})
        for _ in range(RESETS_PER_EMAIL + 3)
    ]

    assert {(answer.status_code, answer["Location"]) for answer in answers} == {
        (302, reverse("staff:password_reset_done"))
    }
    assert len(mail.outbox) == RESETS_PER_EMAIL
