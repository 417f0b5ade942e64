from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum

from ardoise.ledger.models import Account


@dataclass(frozen=True)
class ShopTotals:
    """The dashboard's figures: what customers owe, what the shop holds for them."""

    debt: int
    deposit: int
    debtors: int
    over_limit: int
    accounts: int


def shop_totals(shop_id: int) -> ShopTotals:
    row = Account.objects.filter(shop_id=shop_id).aggregate(
        debt=Sum("debt", default=0),
        deposit=Sum("deposit", default=0),
        debtors=Count("id", filter=Q(balance__lt=0)),
        over_limit=Count(
            "id", filter=Q(credit_limit__isnull=False, balance__lt=-F("credit_limit"))
        ),
        accounts=Count("id"),
    )
    return ShopTotals(**row)
