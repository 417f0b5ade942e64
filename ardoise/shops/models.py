"""Shops (the tenants), staff users, roles and memberships.

A user signs in with an email and may belong to several shops, each through one membership that
carries one role. A role is a named set of permission codes in one shop; changing a role changes
it for every member who holds it. Every tenant row elsewhere carries `shop_id`.
"""

from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ardoise.shops.permissions import Permission


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("users need an email")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email"), unique=True)
    language = models.CharField(_("language"), max_length=8, default="fr")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        db_table = "shops_user"

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Shop(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    language = models.CharField(_("language"), max_length=8, default="fr")
    # Identity printed on invoices and statements.
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    # Accounts.
    default_credit_limit = models.BigIntegerField(
        _("default credit limit for new accounts"),
        null=True,
        blank=True,
        help_text=_("Empty: new accounts have no limit. 0: new accounts get no credit."),
    )
    auto_allocate = models.BooleanField(
        _("apply credits to the oldest charges automatically"), default=True
    )
    # Invoicing and payment tracking.
    payment_tracking_enabled = models.BooleanField(_("enable payment tracking"), default=True)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    default_payment_mode = models.CharField(
        _("default payment mode"), max_length=30, default="cash"
    )
    # Statements and online payment.
    statement_link_days = models.PositiveIntegerField(
        _("statement payment links expire after (days)"), default=30
    )
    online_payment_max = models.BigIntegerField(
        _("largest amount payable online"), default=100_000_00
    )
    show_credit_limit_on_statements = models.BooleanField(
        _("show the credit limit on statements"), default=False
    )
    # The customer portal (issue 12): the customers' own pages, their online orders and top-ups.
    portal_enabled = models.BooleanField(_("customer portal open"), default=False)
    ordering_open = models.BooleanField(_("customers can order from the portal"), default=False)
    order_payment_required = models.BooleanField(
        _("online payment of portal orders required"),
        default=True,
        help_text=_(
            "On: the customer pays the order total less their balance (plus any debt) online. "
            "Off: an order is accepted when the balance and credit limit cover it."
        ),
    )
    top_up_minimum = models.BigIntegerField(_("smallest online top-up"), default=10_00)
    notify_new_orders = models.BooleanField(
        _("email the shop about new portal orders"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "shops_shop"

    def __str__(self) -> str:
        return self.name


class RoleKind(models.TextChoices):
    OWNER = "owner", pgettext_lazy("staff role", "Owner")
    ADMIN = "admin", pgettext_lazy("staff role", "Admin")
    MANAGER = "manager", pgettext_lazy("staff role", "Manager")
    ASSOCIATE = "associate", pgettext_lazy("staff role", "Associate")
    CUSTOM = "custom", pgettext_lazy("staff role", "Custom")


class Role(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(max_length=16, choices=RoleKind.choices, default=RoleKind.CUSTOM)
    permissions = models.JSONField(default=list)

    class Meta:
        db_table = "shops_role"
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="shops_role_unique_name"),
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """Built-in roles are stored in English and shown in the reader's language."""
        if self.kind != RoleKind.CUSTOM:
            return str(RoleKind(self.kind).label)
        return self.name

    def grants(self, permission: "Permission | str") -> bool:
        return str(permission) in self.permissions


class Membership(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="memberships")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "shops_membership"
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="shops_membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"

    def can(self, permission: "Permission | str") -> bool:
        return self.is_active and self.role.grants(permission)


class SignInThrottle(models.Model):
    """Failed sign-ins counted per key (an email, or an IP address), shared by every app process.

    Kept in the database, not in a per-process cache, so the count holds when several app servers
    answer the same user. A key locks when it reaches its threshold inside the window; a
    successful sign-in clears its email key.
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "shops_sign_in_throttle"

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"
