from django import template

from ardoise.customers.models import Customer
from ardoise.statements.models import StatementSend
from ardoise.statements.selectors import sends_for_customer

register = template.Library()


@register.simple_tag
def statement_sends(customer: Customer, limit: int = 10) -> list[StatementSend]:
    """`{% statement_sends customer as sends %}`: the customer's latest statement emails."""
    return list(sends_for_customer(customer.shop_id, customer.pk)[:limit])
