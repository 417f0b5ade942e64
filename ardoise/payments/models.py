"""Payment modes a shop accepts, and (later) online checkouts through providers.

A payment mode is a code the ledger posts to (`mode:<code>` counter account). The built-in modes
are created with every shop; a shop switches them on or off and adds its own ("Titres-restaurant",
"Chèque cadeau"). The mode "account" means "deducted from the customer's account": no money moves,
the invoice is settled from the prepaid balance.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BuiltInMode(models.TextChoices):
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Transfer")
    ACCOUNT = "account", _("Customer account")
    ONLINE = "online", _("Online payment")


class PaymentModeQuerySet(models.QuerySet["PaymentMode"]):
    def for_shop(self, shop_id: int) -> "PaymentModeQuerySet":
        return self.filter(shop_id=shop_id)

    def accepted(self) -> "PaymentModeQuerySet":
        return self.filter(is_accepted=True)


class PaymentMode(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="payment_modes")
    code = models.SlugField(_("code"), max_length=30)
    custom_label = models.CharField(_("label"), max_length=60, blank=True)
    is_built_in = models.BooleanField(default=False)
    is_accepted = models.BooleanField(_("accepted"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = PaymentModeQuerySet.as_manager()

    class Meta:
        db_table = "payments_mode"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="payments_mode_unique_code"),
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """Built-in modes are translated; a shop's own modes show the label it typed."""
        if self.is_built_in and self.code in BuiltInMode.values:
            return str(BuiltInMode(self.code).label)
        return self.custom_label or self.code
