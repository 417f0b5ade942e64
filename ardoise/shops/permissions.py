"""The permission catalogue: what a role may do in a shop.

Permissions are plain codes stored on the role, grouped by area for the role editor. The four
built-in roles get sensible defaults; a shop edits them or adds its own roles. The Owner role
always keeps `roles.manage`, so a shop can never lock itself out of its own settings.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise


class Permission(models.TextChoices):
    SALES_VIEW = "sales.view", _("Sales – View sales and invoices")
    SALES_CREATE = "sales.create", _("Sales – Create sales and orders")
    SALES_DELIVER = "sales.deliver", _("Sales – Deliver orders and issue invoices")
    SALES_REFUND_TO_ACCOUNT = "sales.refund_to_account", _("Sales – Refund to credit account")
    SALES_REFUND = "sales.refund", _("Sales – Refund by another payment mode")
    CUSTOMERS_VIEW = "customers.view", _("Customers – View customers and accounts")
    CUSTOMERS_EDIT = "customers.edit", _("Customers – Create and edit customers")
    CUSTOMERS_CREDIT_LIMIT = "customers.credit_limit", _("Customers – Credit limit")
    PAYMENTS_RECORD = "payments.record", _("Payments – Record payments and top-ups")
    ACCOUNTS_ADJUST = "accounts.adjust", _("Payments – Adjust a balance")
    ACCOUNTS_OVERRIDE_LIMIT = "accounts.override_limit", _("Payments – Override a credit limit")
    ACCOUNTS_REVERSE = "accounts.reverse", _("Payments – Reverse an entry")
    STATEMENTS_SEND = "statements.send", _("Statements – Send statements")
    EXPORTS_RUN = "exports.run", _("Exports – Export data")
    SETTINGS_MANAGE = "settings.manage", _("Settings – Shop settings")
    STAFF_MANAGE = "staff.manage", _("Settings – Staff members")
    ROLES_MANAGE = "roles.manage", _("Settings – Staff roles")


AREAS: list[tuple[str, StrOrPromise]] = [
    ("sales", _("Sales")),
    ("customers", _("Customers")),
    ("payments", _("Payments and accounts")),
    ("statements", _("Statements")),
    ("exports", _("Exports")),
    ("settings", _("Settings")),
]

_AREA_OF_PREFIX = {
    "sales": "sales",
    "customers": "customers",
    "payments": "payments",
    "accounts": "payments",
    "statements": "statements",
    "exports": "exports",
    "settings": "settings",
    "staff": "settings",
    "roles": "settings",
}


def area_of(permission: str) -> str:
    return _AREA_OF_PREFIX[permission.split(".", 1)[0]]


ALL = frozenset(Permission.values)

BUILT_IN_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "owner": ("Owner", ALL),
    "admin": ("Admin", ALL - {Permission.ROLES_MANAGE}),
    "manager": (
        "Manager",
        frozenset(
            {
                Permission.SALES_VIEW,
                Permission.SALES_CREATE,
                Permission.SALES_DELIVER,
                Permission.SALES_REFUND_TO_ACCOUNT,
                Permission.SALES_REFUND,
                Permission.CUSTOMERS_VIEW,
                Permission.CUSTOMERS_EDIT,
                Permission.CUSTOMERS_CREDIT_LIMIT,
                Permission.PAYMENTS_RECORD,
                Permission.ACCOUNTS_ADJUST,
                Permission.ACCOUNTS_REVERSE,
                Permission.STATEMENTS_SEND,
                Permission.EXPORTS_RUN,
            }
        ),
    ),
    "associate": (
        "Associate",
        frozenset(
            {
                Permission.SALES_VIEW,
                Permission.SALES_CREATE,
                Permission.CUSTOMERS_VIEW,
                Permission.CUSTOMERS_EDIT,
                Permission.PAYMENTS_RECORD,
            }
        ),
    ),
}
