"""Refusals of invoicing (those of settlement are in `payments.errors`). Like the ledger's, each
carries a translated message and leaves nothing behind: it is raised inside the transaction,
before or instead of any write.
"""

from django.utils.translation import gettext_lazy as _

from ardoise.ledger.errors import LedgerError


class EmptyOrder(LedgerError):
    code = "empty_order"
    default_message = _("Add at least one line with a quantity and a price.")


class InvalidLine(LedgerError):
    code = "invalid_line"
    default_message = _("Each line needs a description, a quantity above zero and a price.")


class OrderNotOpen(LedgerError):
    code = "order_not_open"
    default_message = _("This order is already delivered or cancelled.")


class OrderTooLarge(LedgerError):
    code = "order_too_large"
    default_message = _("This order's total is too large. Split it into several orders.")


class DuplicateProductName(LedgerError):
    code = "duplicate_product_name"
    default_message = _("The catalogue already has a product named “%(name)s”.")
