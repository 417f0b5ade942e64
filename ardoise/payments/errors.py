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


class ChargesBeingPaid(LedgerError):
    """A checkout for some of the same charges is pending under another reference (two statements
    that list one invoice, opened at once): paying both would take the money twice."""

    code = "charges_being_paid"
    default_message = _(
        "A payment of these invoices was started from another statement and is not finished: "
        "nothing was charged here. Finish that payment, or try again in %(minutes)s minutes."
    )


# --- The customer's side: online orders, top-ups, paying what is owed (issue 12) ---------------


class OrderingClosed(LedgerError):
    code = "ordering_closed"
    default_message = _("This shop does not take orders online at the moment.")


class AnotherOrderOpen(LedgerError):
    code = "another_order_open"
    default_message = _(
        "You already have an order that is not delivered yet. Pay or cancel it, or wait until "
        "it is delivered, before you order again."
    )


class ProductNotOrderable(LedgerError):
    code = "product_not_orderable"
    default_message = _("One of these products can no longer be ordered. Check your basket.")


class InvalidQuantity(LedgerError):
    code = "invalid_quantity"
    default_message = _("Each quantity must be above zero, with at most 3 decimals.")


class QuoteChanged(LedgerError):
    code = "quote_changed"
    default_message = _(
        "Your balance changed meanwhile: the amount to pay is now %(to_pay)s. Nothing was "
        "ordered; check the amount and confirm again."
    )


class OnlinePaymentNotOffered(LedgerError):
    code = "online_payment_not_offered"
    default_message = _("This shop does not take payments online.")


class AboveOnlineMaximum(LedgerError):
    code = "above_online_maximum"
    default_message = _(
        "%(amount)s is above what can be paid online (%(maximum)s). Please contact the shop."
    )


class TopUpOutOfRange(LedgerError):
    code = "top_up_out_of_range"
    default_message = _("A top-up must be between %(minimum)s and %(maximum)s.")


class NothingOwed(LedgerError):
    code = "nothing_owed"
    default_message = _("Nothing is owed on this account.")


class NothingToPay(LedgerError):
    code = "nothing_to_pay"
    default_message = _("This order has nothing left to pay.")


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


class NothingToPayOut(LedgerError):
    code = "nothing_to_pay_out"
    default_message = _(
        "Nothing of this refund would go back to the card: the sale is unpaid for that much. "
        "Refund it to the account."
    )
