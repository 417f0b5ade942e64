"""Refusals of the ledger services. Each carries a message for the user, in their language.

A refusal raised inside a service's transaction rolls everything back: the idempotency claim,
the balance update, every row. Views and the API turn these into a field error or an error body.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _

from ardoise.core.errors import Refusal


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
    code = "credit_limit_exceeded"
    default_message = _("This would take the account beyond its credit limit.")


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
    default_message = _(
        "This request key was already used for a different request. Reload the page and try again."
    )
