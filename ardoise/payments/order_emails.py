"""The shop told of a new online order: a background task (django-tasks; worker: `manage.py
db_worker`), apart from `payments.tasks`, whose work imports the checkout outcomes that call it.

The shop is emailed about a new online order after the transaction that accepted it has
committed (`notify_shop_of_order` enqueues with `transaction.on_commit`). The task takes the
order's id, re-reads it, and claims the email by one conditional UPDATE, so running it twice (a
retried task, an order accepted again after a declined payment) sends one email.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks import task

from ardoise.invoicing.models import Order, OrderLine
from ardoise.shops.models import Shop


def notify_shop_of_order(order: Order, shop: Shop) -> None:
    """After commit, email the shop about its new online order, if it asked to be told."""
    if not (shop.notify_new_orders and shop.email):
        return
    order_id = order.pk
    transaction.on_commit(lambda: notify_new_order_task.enqueue(order_id))


@task()
def notify_new_order_task(order_id: int) -> bool:
    """Email the shop about one new online order; returns whether it was sent (once)."""
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        return False
    shop = Shop.objects.get(pk=order.shop_id)
    if not (shop.notify_new_orders and shop.email):
        return False
    claimed = Order.objects.filter(pk=order.pk, shop_notified_at__isnull=True).update(
        shop_notified_at=timezone.now()
    )
    if not claimed:
        return False
    build_new_order_email(order=order, shop=shop).send()
    return True


def build_new_order_email(*, order: Order, shop: Shop) -> EmailMessage:
    context = {
        "shop": shop,
        "order": order,
        "customer": order.customer,
        "lines": OrderLine.objects.filter(order=order).order_by("position", "id"),
        "link": settings.SITE_URL + reverse("staff:order_detail", args=[order.pk]),
    }
    with translation.override(shop.language):
        subject = gettext("New online order No. %(number)s from %(customer)s") % {
            "number": order.pk,
            "customer": order.customer.display_name,
        }
        context["payment"] = order.get_payment_state_display()
        body = render_to_string("payments/email/new_order.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[shop.email],
        reply_to=[order.customer.email] if order.customer.email else None,
    )
