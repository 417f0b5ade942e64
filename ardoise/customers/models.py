"""Customers: the people and businesses a shop sells to, and how to reach them.

Money lives in `ledger.Account` (one per customer and currency); this app keeps identity and
contact data only, and the links that sign a customer in to their shop's portal
(`PortalLink`, see `customers.portal_links`). Customers are never deleted once they have
history: they are archived.
"""

import unicodedata
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

SEARCH_FIELDS = ("name", "company", "email", "phone")


def normalize_search(text: str) -> str:
    """Lower case without accents: "Hélène" and "HELENE" both become "helene". A NUL, which
    no stored text holds and PostgreSQL refuses in a query, is dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\x00", ""))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_condition(text: str, *, prefix: str = "") -> models.Q:
    """Every word of `text` found in the name, company, email or phone, ignoring case and accents.

    Compares with `search_text`, the normalised copy of those fields kept by `Customer.save`.
    `prefix` names the relation when searching from another model (`"customer__"`). On
    PostgreSQL a trigram index on `search_text` (migration 0003) answers `LIKE '%word%'`, so a
    search stays an index scan on 100,000 customers.
    """
    condition = models.Q()
    for word in normalize_search(text).split()[:5]:
        condition &= models.Q(**{f"{prefix}search_text__contains": word})
    return condition


class CustomerQuerySet(models.QuerySet["Customer"]):
    def for_shop(self, shop_id: int) -> "CustomerQuerySet":
        return self.filter(shop_id=shop_id)

    def search(self, text: str) -> "CustomerQuerySet":
        return self.filter(search_condition(text)) if text.strip() else self


class Customer(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="customers")
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    # The language of the customer's documents and emails. Empty: statements and emails are in
    # French, what staff print at the counter in the language of whoever prints it.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default="",
        choices=[("", _("Not set")), ("fr", "Français"), ("en", "English")],
    )
    reference = models.CharField(_("customer reference"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    # Portal orders: one open order at a time unless staff allow several (Ciboulette's rule).
    allow_several_orders = models.BooleanField(_("may have several open orders"), default=False)
    # Raised to sign the customer out of the portal everywhere: a portal session carries the
    # version it was opened with and is refused once the customer's version moved on.
    portal_session_version = models.PositiveIntegerField(default=0, editable=False)
    # Name, company, email and phone (also without spaces), lower case, no accents: for search.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        db_table = "customers_customer"
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["shop", "name"], name="customer_shop_name"),
            models.Index(fields=["shop", "email"], name="customer_shop_email"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = self.searchable_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(SEARCH_FIELDS):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def searchable_text(self) -> str:
        phone_digits = "".join(char for char in self.phone if char.isdigit())
        parts = [getattr(self, field) for field in SEARCH_FIELDS] + [phone_digits]
        return normalize_search(" ".join(part for part in parts if part))

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name


class PortalLinkPurpose(models.TextChoices):
    SIGN_IN = "sign_in", _("Portal sign-in")
    EMAIL_CHANGE = "email_change", _("Email address confirmation")


class PortalLink(models.Model):
    """One emailed link to the customer portal: a sign-in, or the confirmation of a new email.

    Only the SHA-256 of the link's random nonce is stored, so the database alone cannot rebuild
    a link. A link works once: `used_at` is set by one conditional UPDATE (`used_at IS NULL AND
    expires_at > now`), so two clicks, two tabs or a mail scanner racing the customer can never
    both open a session. `new_email` is the address an email-change link confirms.
    """

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="portal_links")
    purpose = models.CharField(max_length=20, choices=PortalLinkPurpose.choices)
    nonce_hash = models.CharField(max_length=64)
    new_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "customers_portal_link"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "nonce_hash"], name="customers_portal_link_unique_nonce"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} link {self.pk}"
