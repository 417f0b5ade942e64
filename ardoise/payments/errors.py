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


class ModeOnlineOnly(LedgerError):
    code = "mode_online_only"
    default_message = _(
        "Online payments are recorded only by the payment provider's confirmation, not by hand."
    )


class SettlementPageOutOfDate(LedgerError):
    code = "settlement_page_out_of_date"
    default_message = _(
        "The page was out of date: this invoice was settled meanwhile (still owed now: "
        "%(open)s). Nothing was recorded."
    )


class ReceivedOnOutOfRange(LedgerError):
    code = "received_on_out_of_range"
    default_message = _("The date received must be between %(earliest)s and today.")


class RefundSplitRequired(LedgerError):
    code = "refund_split_required"
    default_message = _(
        "This sale is not fully paid: %(to_account)s must go back to the customer's account "
        "and at most %(payout)s may be paid out in %(mode)s. Check the split and confirm."
    )


class NotPaidOnline(LedgerError):
    code = "not_paid_online"
    default_message = _(
        "This sale was not paid online through a provider set up for the shop: refund it "
        "another way."
    )


class RefundAboveOnlinePayment(LedgerError):
    code = "refund_above_online_payment"
    default_message = _("At most %(maximum)s can be given back to the card this sale was paid by.")


class RefundInProgress(LedgerError):
    code = "refund_in_progress"
    default_message = _(
        "A refund of this sale is waiting for the provider's answer. Try again once it is "
        "confirmed or refused."
    )


class RefundKeyReused(LedgerError):
    code = "refund_key_reused"
    default_message = _("This form was already used for another refund. Reload the page.")


class NothingToPayOut(LedgerError):
    code = "nothing_to_pay_out"
    default_message = _(
        "Nothing of this refund would go back to the card: the sale is unpaid for that much. "
        "Refund it to the account."
    )
