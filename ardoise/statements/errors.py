"""Refusals of the statement services; `str()` is a message for the user, in their language."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from ardoise.core.errors import Refusal


class StatementError(Refusal):
    code = "statement_error"
    default_message: Any = _("The statement could not be processed.")


class InvalidEmail(StatementError):
    code = "invalid_email"
    default_message = _("Enter a valid email address.")


class NoAccount(StatementError):
    code = "no_account"
    default_message = _("This customer has no account yet.")


class InvalidLink(StatementError):
    """A payment link that is tampered with, unknown or expired. `reason` says which."""

    code = "invalid_link"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        messages = {
            "tampered": _("This payment link is not valid. Check that you copied it whole."),
            "unknown": _("This payment link is not valid. Check that you copied it whole."),
            "expired": _(
                "This payment link has expired. Ask the shop to send you a new statement."
            ),
        }
        super().__init__(messages[reason])


class NotPayableOnline(StatementError):
    code = "not_payable_online"
    default_message = _("This statement cannot be paid online.")


PROVIDER_DOWN = _(
    "The payment service did not answer. Nothing was charged: please try again in a few minutes."
)
