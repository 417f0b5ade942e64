"""Refusals of the ledger services. Each carries a message for the user, in their language.

A refusal raised inside a service's transaction rolls everything back: the idempotency claim,
the balance update, every row. Views and the API turn these into a field error or an error body.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from ardoise.core.errors import Refusal
from ardoise.core.money import DEFAULT_CURRENCY, format_money


class LedgerError(Refusal):
    """Base class of the ledger's refusals (`ardoise.core.errors.Refusal`)."""

    code = "ledger_error"
    default_message: Any = _("The operation was refused.")


class InvalidAmount(LedgerError):
    code = "invalid_amount"
    default_message = _("The amount must be greater than zero.")


class AmountTooLarge(LedgerError):
    code = "amount_too_large"
    default_message = _("This amount is too large.")


class BalanceOutOfRange(LedgerError):
    code = "balance_out_of_range"
    default_message = _("This would take the account's figures beyond what Ardoise can hold.")


class AccountAlreadyOpen(LedgerError):
    code = "account_already_open"
    default_message = _("This customer already has an account in this currency.")


class CreditLimitExceeded(LedgerError):
    """Refused by the limit guard. With the figures (read after the refusal, for the message
    only), it says by how much: "it would owe 130,00 €; 20,00 € available"."""

    code = "credit_limit_exceeded"
    default_message = _("This would take the account beyond its credit limit.")
    figures_message = _(
        "This would take the account beyond its credit limit: it would owe %(would_owe)s; "
        "%(available)s available."
    )

    def __init__(
        self,
        message: Any = None,
        *,
        amount: int | None = None,
        balance: int | None = None,
        credit_limit: int | None = None,
        currency: str = DEFAULT_CURRENCY,
        reserved: int = 0,
    ) -> None:
        self.amount, self.balance, self.credit_limit = amount, balance, credit_limit
        self.currency, self.reserved = currency, reserved
        super().__init__(message)

    @property
    def has_figures(self) -> bool:
        return None not in (self.amount, self.balance, self.credit_limit)

    @property
    def would_owe(self) -> int:
        """What the customer would owe after the refused charge, counting what reservations
        hold for online orders as already spent."""
        return max((self.amount or 0) + self.reserved - (self.balance or 0), 0)

    @property
    def available(self) -> int:
        """What may still be charged now (balance plus limit, less reservations)."""
        return max((self.balance or 0) + (self.credit_limit or 0) - self.reserved, 0)

    def __str__(self) -> str:
        if self.message is not self.default_message or not self.has_figures:
            return super().__str__()
        return str(self.figures_message) % {
            "would_owe": format_money(self.would_owe, self.currency),
            "available": format_money(self.available, self.currency),
        }


class OverrideNotAllowed(LedgerError):
    code = "override_not_allowed"
    default_message = _("This staff member may not override a credit limit.")


class CreditNoteTooLarge(LedgerError):
    code = "credit_note_too_large"
    default_message = _("A credit note cannot exceed what remains to be credited on the charge.")


class RefundMustGoToAccount(LedgerError):
    code = "refund_must_go_to_account"
    default_message = _(
        "The unpaid part of the sale (%(minimum)s) must be refunded to the customer's account."
    )


class AlreadyReversed(LedgerError):
    code = "already_reversed"
    default_message = _("This entry has already been reversed.")


class NotReversible(LedgerError):
    code = "not_reversible"
    default_message = _("This entry cannot be reversed.")


class ReasonRequired(LedgerError):
    code = "reason_required"
    default_message = _("A reason is required.")


class InvalidAllocation(LedgerError):
    code = "invalid_allocation"
    default_message = _("This allocation is not possible.")


class InvalidPaymentMode(LedgerError):
    code = "invalid_payment_mode"
    default_message = _("This payment mode cannot be used here.")


class InvalidDate(LedgerError):
    code = "invalid_date"
    default_message = _("The date cannot be in the future.")


class InvalidCreditLimit(LedgerError):
    code = "invalid_credit_limit"
    default_message = _("A credit limit must be empty (no limit) or zero or more.")


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    # Said by a form sent again under its first key with other values (a page kept open and
    # edited after it was sent): the form is shown again with a fresh key.
    default_message = _(
        "The page was out of date: this form was already sent with other values. Nothing was "
        "recorded; check it and send it again."
    )


class NotEnoughToReserve(LedgerError):
    """Refused by the reservation guard: what the customer can still spend does not cover it."""

    code = "not_enough_to_reserve"
    default_message = _("What the customer can still spend does not cover this amount.")


class ReservationConflict(LedgerError):
    code = "reservation_conflict"
    default_message = _("Another amount is already held for this. Reload the page and try again.")
