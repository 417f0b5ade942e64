"""Audit events in plain words: one translatable sentence per action code.

Readers never see a raw code or a JSON payload. Each sentence reads the facts an event stored
(amounts in minor units, modes, reasons) and words them in the reader's language; an action
without a sentence here reads as a plain "Other change", and a test lists every action the code
records so none is forgotten.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from ardoise.audit.models import AuditEvent
from ardoise.core.money import format_money


@dataclass(frozen=True)
class Reading:
    """What a sentence may need besides the event: the shop's currency, mode labels, names."""

    currency: str
    modes: dict[str, str]
    users: dict[int, str]

    def money(self, value: Any) -> str:
        return format_money(int(value or 0), self.currency)

    def limit(self, value: Any) -> str:
        if value is None:
            return _("no limit")
        if value == 0:
            return _("no credit (0)")
        return self.money(value)

    def mode(self, code: Any) -> str:
        return self.modes.get(str(code), str(code or ""))

    def user(self, user_id: Any) -> str:
        return self.users.get(int(user_id), _("a former staff member")) if user_id else ""


Sentence = Callable[[dict[str, Any], Reading], str]


def _opened(data: dict[str, Any], reading: Reading) -> str:
    return _("Opened the account, credit limit: %(limit)s.") % {
        "limit": reading.limit(data.get("credit_limit"))
    }


def _limit_changed(data: dict[str, Any], reading: Reading) -> str:
    if data.get("reason") == "deactivated":
        return _("Deactivated the credit account (credit limit %(before)s → 0).") % {
            "before": reading.limit(data.get("from"))
        }
    sentence = _("Changed the credit limit from %(before)s to %(after)s.") % {
        "before": reading.limit(data.get("from")),
        "after": reading.limit(data.get("to")),
    }
    if data.get("reason"):
        sentence += " " + _("Reason: %(reason)s") % {"reason": data["reason"]}
    return sentence


def _charge_posted(data: dict[str, Any], reading: Reading) -> str:
    if data.get("override_by"):
        return _(
            "Charged %(amount)s beyond the credit limit of %(limit)s: limit overridden by %(name)s."
        ) % {
            "amount": reading.money(data.get("total")),
            "limit": reading.limit(data.get("credit_limit")),
            "name": reading.user(data.get("override_by")),
        }
    return _("Charged %(amount)s to the account.") % {"amount": reading.money(data.get("total"))}


def _credit_note(data: dict[str, Any], reading: Reading) -> str:
    if data.get("payout"):
        return _(
            "Refunded %(amount)s: %(to_account)s back to the account, %(payout)s paid out by "
            "%(mode)s. Reason: %(reason)s"
        ) % {**_facts(data, reading), "mode": reading.mode(data.get("payout_mode"))}
    return _("Refunded %(amount)s to the account. Reason: %(reason)s") % _facts(data, reading)


def _reversed(data: dict[str, Any], reading: Reading) -> str:
    return _("Reversed an entry of %(amount)s. Reason: %(reason)s") % {
        **_facts(data, reading),
        "amount": reading.money(abs(int(data.get("amount") or 0))),
    }


def _role_changed(data: dict[str, Any], reading: Reading) -> str:
    return _("Changed a staff member's role from %(before)s to %(after)s.") % {
        "before": data.get("from", ""),
        "after": data.get("to", ""),
    }


def _account_settings(data: dict[str, Any], reading: Reading) -> str:
    limit = (data.get("default_credit_limit") or {}).get("to")
    automatic = (data.get("auto_allocate") or {}).get("to")
    return _(
        "Changed the account settings: default credit limit %(limit)s, automatic allocation "
        "%(automatic)s."
    ) % {"limit": reading.limit(limit), "automatic": _("on") if automatic else _("off")}


def _api_call(data: dict[str, Any], reading: Reading) -> str:
    return _("API key “%(key)s”: %(method)s %(path)s (%(status)s).") % {
        "key": data["api_key"],
        "method": data["method"],
        "path": data["path"],
        "status": data["status"],
    }


def _facts(data: dict[str, Any], reading: Reading) -> dict[str, Any]:
    """Every placeholder the plain sentences use, worded from the event's payload."""
    return {
        "amount": reading.money(data.get("amount")),
        "total": reading.money(data.get("total")),
        "to_pay": reading.money(data.get("to_pay")),
        "to_account": reading.money(data.get("to_account")),
        "payout": reading.money(data.get("payout")),
        "minimum": reading.money(data.get("minimum_debt")),
        "mode": reading.mode(data.get("mode")),
        "reason": data.get("reason", ""),
        "name": data.get("name", ""),
        "label": data.get("label", ""),
        "email": data.get("email", ""),
        "role": data.get("role", ""),
        "number": data.get("number") or data.get("invoice", ""),
        "customers": data.get("customers", 0),
        "provider": {"sumup": "SumUp", "stripe": "Stripe"}.get(data.get("provider", ""), ""),
        "message": data.get("message", ""),
    }


# Actions whose sentence needs more than the plain facts.
WORDED: dict[str, Sentence] = {
    "ledger.account.opened": _opened,
    "ledger.account.credit_limit_changed": _limit_changed,
    "ledger.charge.posted": _charge_posted,
    "ledger.credit_note.issued": _credit_note,
    "ledger.entry.reversed": _reversed,
    "shops.member.role_changed": _role_changed,
    "shops.account_settings.changed": _account_settings,
    "api.call": _api_call,
}

PLAIN: dict[str, StrOrPromise] = {
    "customers.customer.created": gettext_lazy("Created the customer."),
    "customers.customer.updated": gettext_lazy("Edited the customer's details."),
    "ledger.payment.recorded": gettext_lazy("Recorded a payment of %(amount)s by %(mode)s."),
    "ledger.top_up.recorded": gettext_lazy("Recorded a top-up of %(amount)s by %(mode)s."),
    "ledger.adjustment.recorded": gettext_lazy("Recorded a credit adjustment of %(amount)s."),
    "ledger.allocation.created": gettext_lazy("Applied %(amount)s of a credit to a charge."),
    "ledger.allocation.released": gettext_lazy("Took back %(amount)s applied to a charge."),
    "invoicing.product.created": gettext_lazy("Added the product %(name)s."),
    "invoicing.product.updated": gettext_lazy("Edited a product."),
    "invoicing.order.created": gettext_lazy("Took an order of %(total)s."),
    "invoicing.order.cancelled": gettext_lazy("Cancelled an order. Reason: %(reason)s"),
    "invoicing.invoice.issued": gettext_lazy("Issued invoice %(number)s of %(total)s."),
    "payments.mode.added": gettext_lazy("Added the payment mode %(label)s."),
    "payments.invoice_settings.changed": gettext_lazy(
        "Changed the invoice and payment tracking settings."
    ),
    "payments.invoice.settled": gettext_lazy("Settled invoice %(number)s: %(amount)s by %(mode)s."),
    "payments.settlement.reversed": gettext_lazy(
        "Cancelled a settlement of %(amount)s by %(mode)s. Reason: %(reason)s"
    ),
    "payments.online_provider.changed": gettext_lazy("Changed the online payment provider."),
    "payments.checkout.approved": gettext_lazy("Received an online payment of %(amount)s."),
    "payments.deposit.applied": gettext_lazy(
        "Applied %(amount)s of the deposit to chosen charges."
    ),
    "payments.provider_account.saved": gettext_lazy(
        "Saved the shop's %(provider)s credentials (the keys are not kept in the log)."
    ),
    "payments.provider_account.removed": gettext_lazy(
        "Removed the shop's %(provider)s credentials."
    ),
    "payments.refund.requested": gettext_lazy(
        "Asked the payment provider to refund %(payout)s to the card."
    ),
    "payments.refund.confirmed": gettext_lazy("The payment provider refunded %(amount)s."),
    "payments.refund.refused": gettext_lazy(
        "The payment provider refused to refund %(amount)s: %(message)s"
    ),
    "customers.portal.invited": gettext_lazy("Sent the customer their portal invitation."),
    "customers.portal.signed_in": gettext_lazy("The customer signed in to the portal."),
    "customers.portal.signed_out_everywhere": gettext_lazy(
        "Signed the customer out of the portal everywhere."
    ),
    "customers.portal.email_changed": gettext_lazy("The customer changed their email."),
    "ledger.reservation.held": gettext_lazy("Reserved %(amount)s of the balance."),
    "ledger.reservation.released": gettext_lazy("Released %(amount)s reserved on the balance."),
    "ledger.earmark.lifted": gettext_lazy(
        "%(amount)s kept for a cancelled order is now available on the account."
    ),
    "ledger.reservation.consumed": gettext_lazy(
        "Charged the %(amount)s reserved for an order on delivery."
    ),
    "payments.order.accepted": gettext_lazy(
        "Accepted an online order of %(total)s, deducted from the account."
    ),
    "payments.order.awaiting_payment": gettext_lazy(
        "An online order of %(total)s waits for its online payment of %(to_pay)s."
    ),
    "payments.order.paid": gettext_lazy(
        "An online order of %(total)s was paid online (%(amount)s)."
    ),
    "payments.checkout.expired": gettext_lazy(
        "An online payment of %(amount)s was not made in time: it expired."
    ),
    "payments.checkout.paid_late": gettext_lazy(
        "Received an online payment of %(amount)s after it had expired or been cancelled."
    ),
    "shops.portal_settings.changed": gettext_lazy("Changed the customer portal settings."),
    "api.key.created": gettext_lazy("Created the API key “%(name)s”."),
    "api.key.revoked": gettext_lazy("Revoked the API key “%(name)s”."),
    "api.key.renamed": gettext_lazy(
        "Renamed the API key “%(was)s” to “%(name)s”: two active keys had that name."
    ),
    "shops.shop.created": gettext_lazy("Created the shop."),
    "shops.role.created": gettext_lazy("Created the role %(name)s."),
    "shops.role.updated": gettext_lazy("Changed a role's permissions."),
    "shops.member.invited": gettext_lazy("Invited %(email)s as %(role)s."),
    "shops.member.activated": gettext_lazy("Gave a staff member access again."),
    "shops.member.deactivated": gettext_lazy("Removed a staff member's access."),
    "statements.statement.issued": gettext_lazy("Issued a statement."),
    "statements.statement.queued": gettext_lazy("Sent a statement to %(email)s."),
    "statements.run.started": gettext_lazy(
        "Started sending statements to %(customers)s customers owing at least %(minimum)s."
    ),
    "statements.run.resumed": gettext_lazy("Resumed sending statements."),
    "statements.settings.changed": gettext_lazy(
        "Changed the statement and online payment settings."
    ),
}

SENTENCES = frozenset(WORDED) | frozenset(PLAIN)


def describe(event: AuditEvent, reading: Reading) -> str:
    """The event in plain words, in the active language."""
    data = event.data if isinstance(event.data, dict) else {}
    try:
        if event.action in WORDED:
            return WORDED[event.action](data, reading)
        if event.action in PLAIN:
            return str(PLAIN[event.action]) % _facts(data, reading)
    except (TypeError, ValueError, KeyError, AttributeError):  # an older payload's shape
        pass
    return _("Other change.")


@dataclass(frozen=True)
class Kind:
    code: str
    label: StrOrPromise
    actions: frozenset[str]


OVERRIDE = "override"

KINDS: list[Kind] = [
    Kind(OVERRIDE, gettext_lazy("Credit limit overridden"), frozenset({"ledger.charge.posted"})),
    Kind(
        "credit_limit",
        gettext_lazy("Credit limits"),
        frozenset({"ledger.account.credit_limit_changed", "ledger.account.opened"}),
    ),
    Kind(
        "customers",
        gettext_lazy("Customers"),
        frozenset({"customers.customer.created", "customers.customer.updated"}),
    ),
    Kind(
        "sales",
        gettext_lazy("Sales and invoices"),
        frozenset(
            {
                "ledger.charge.posted",
                "invoicing.order.created",
                "invoicing.order.cancelled",
                "invoicing.invoice.issued",
                "payments.order.accepted",
                "payments.order.awaiting_payment",
                "payments.order.paid",
            }
        ),
    ),
    Kind(
        "payments",
        gettext_lazy("Payments and deposits"),
        frozenset(
            {
                "ledger.payment.recorded",
                "ledger.top_up.recorded",
                "ledger.allocation.created",
                "ledger.allocation.released",
                "payments.invoice.settled",
                "payments.checkout.approved",
                "payments.checkout.expired",
                "payments.checkout.paid_late",
                "payments.deposit.applied",
            }
        ),
    ),
    Kind(
        "corrections",
        gettext_lazy("Refunds, adjustments and reversals"),
        frozenset(
            {
                "ledger.credit_note.issued",
                "ledger.adjustment.recorded",
                "ledger.entry.reversed",
                "payments.settlement.reversed",
                "payments.refund.requested",
                "payments.refund.confirmed",
                "payments.refund.refused",
            }
        ),
    ),
    Kind(
        "statements",
        gettext_lazy("Statements"),
        frozenset(
            {
                "statements.statement.issued",
                "statements.statement.queued",
                "statements.run.started",
                "statements.run.resumed",
            }
        ),
    ),
    Kind(
        "staff",
        gettext_lazy("Staff and roles"),
        frozenset(
            {
                "shops.role.created",
                "shops.role.updated",
                "shops.member.invited",
                "shops.member.role_changed",
                "shops.member.activated",
                "shops.member.deactivated",
            }
        ),
    ),
    Kind(
        "settings",
        gettext_lazy("Settings and catalogue"),
        frozenset(
            {
                "shops.shop.created",
                "shops.account_settings.changed",
                "payments.mode.added",
                "payments.invoice_settings.changed",
                "payments.online_provider.changed",
                "payments.provider_account.saved",
                "payments.provider_account.removed",
                "statements.settings.changed",
                "invoicing.product.created",
                "invoicing.product.updated",
            }
        ),
    ),
    Kind(
        "api",
        gettext_lazy("API calls and keys"),
        frozenset({"api.call", "api.key.created", "api.key.revoked", "api.key.renamed"}),
    ),
]

KINDS_BY_CODE = {kind.code: kind for kind in KINDS}
