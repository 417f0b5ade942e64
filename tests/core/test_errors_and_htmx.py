"""The one refusal base and the one HTMX helper."""

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

from ardoise.core.errors import Refusal
from ardoise.core.htmx import htmx_target, is_htmx, refresh_page
from ardoise.ledger.errors import CreditLimitExceeded, LedgerError
from ardoise.shops.errors import AccessChangeRefused


@pytest.mark.parametrize("refusal", [LedgerError, CreditLimitExceeded, AccessChangeRefused])
def test_every_app_refusal_is_a_refusal_with_its_message(refusal: type[Refusal]) -> None:
    error = refusal()
    assert isinstance(error, Refusal)
    assert str(error) == str(refusal.default_message)


def test_a_refusal_translates_and_fills_its_parameters_when_shown() -> None:
    error = Refusal(_("Unknown permission: %(code)s"), code="x.y")
    with translation.override("en"):
        assert str(error) == "Unknown permission: x.y"
    assert (error.code, error.params) == ("refused", {"code": "x.y"})


def test_htmx_helpers_read_the_request_and_refresh_the_page() -> None:
    factory = RequestFactory()
    plain = factory.get("/")
    swapping = factory.get("/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    swapping.htmx = HtmxDetails(swapping)  # type: ignore[attr-defined]
    plain.htmx = HtmxDetails(plain)  # type: ignore[attr-defined]

    assert (is_htmx(plain), htmx_target(plain)) == (False, None)
    assert (is_htmx(swapping), htmx_target(swapping)) == (True, "results")
    assert (is_htmx(factory.get("/")), htmx_target(factory.get("/"))) == (False, None)
    response = refresh_page()
    assert (response.status_code, response["HX-Refresh"], response.content) == (204, "true", b"")
