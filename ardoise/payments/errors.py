"""Refusals of payment modes and settlement. Like the ledger's, each carries a translated message
and leaves nothing behind: it is raised inside the transaction, before or instead of any write.
"""

from django.utils.translation import gettext_lazy as _

from ardoise.ledger.errors import LedgerError


class InvoiceVoid(LedgerError):
    code = "invoice_void"
    default_message = _("This invoice was reversed: it can no longer be settled.")


class ModeNotAccepted(LedgerError):
    code = "mode_not_accepted"
    default_message = _("This payment mode is not accepted by the shop.")


class PaymentTrackingDisabled(LedgerError):
    code = "payment_tracking_disabled"
    default_message = _("Payment tracking is turned off in Settings → Invoices.")


class NothingToDeduct(LedgerError):
    code = "nothing_to_deduct"
    default_message = _("The customer's account has no credit to deduct from.")


class SettlementChanged(LedgerError):
    code = "settlement_changed"
    default_message = _("This amount was changed meanwhile. Reload the page and try again.")


class SettlementAlreadyReversed(LedgerError):
    code = "settlement_already_reversed"
    default_message = _("This settlement has already been reversed.")
