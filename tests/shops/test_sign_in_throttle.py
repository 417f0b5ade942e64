"""Counting failed sign-ins in the database: per email and per address."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ardoise.shops import services
from ardoise.shops.models import SignInThrottle

pytestmark = pytest.mark.django_db


def test_an_email_locks_at_its_threshold_and_says_until_when() -> None:
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        results = [
            services.record_failed_sign_in(email="A@ex.fr", address="10.0.0.1")
            for _ in range(services.FAILURES_PER_EMAIL)
        ]
        assert results == [None] * (services.FAILURES_PER_EMAIL - 1) + [
            now + services.LOCK_DURATION
        ]
        assert services.sign_in_locked_until(email="a@ex.fr", address=None) == (
            now + services.LOCK_DURATION
        )


def test_an_address_locks_after_failures_on_many_emails() -> None:
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for number in range(services.FAILURES_PER_ADDRESS):
            services.record_failed_sign_in(email=f"user{number}@ex.fr", address="10.0.0.9")

    assert services.sign_in_locked_until(email="fresh@ex.fr", address="10.0.0.9") == (
        now + services.LOCK_DURATION
    )
    assert services.sign_in_locked_until(email="fresh@ex.fr", address="10.0.0.10") is None


def test_clearing_after_a_success_forgets_the_emails_failures() -> None:
    services.record_failed_sign_in(email="a@ex.fr", address=None)

    services.clear_failed_sign_ins(email="A@ex.fr")

    assert not SignInThrottle.objects.filter(key="email:a@ex.fr").exists()


def test_a_lock_expires() -> None:
    for _ in range(services.FAILURES_PER_EMAIL):
        services.record_failed_sign_in(email="a@ex.fr", address=None)

    later = timezone.now() + services.LOCK_DURATION + dt.timedelta(seconds=1)
    with time_machine.travel(later):
        assert services.sign_in_locked_until(email="a@ex.fr", address=None) is None
