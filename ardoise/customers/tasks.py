"""Background tasks of the customers app (django-tasks; worker: `manage.py db_worker`).

The portal emails leave after the request that asked for them has committed: views enqueue these
tasks with `transaction.on_commit`. A task takes ids, re-reads the customer, and makes the link
itself (the token exists only in the email), so nothing secret waits in the task queue.
"""

from django_tasks import task

from ardoise.customers.emails import KINDS, build_portal_email
from ardoise.customers.models import Customer


@task()
def send_portal_link_task(customer_id: int, kind: str, new_email: str = "") -> bool:
    """Email one customer a portal link; returns whether it was sent.

    Nothing is sent when the customer was archived, has no address any more, or the shop
    closed its portal in the meantime.
    """
    customer = (
        Customer.objects.select_related("shop")
        .filter(pk=customer_id, is_archived=False, shop__portal_enabled=True)
        .first()
    )
    if customer is None or kind not in KINDS:
        return False
    message = build_portal_email(customer=customer, kind=kind, new_email=new_email)
    if not message.to or not message.to[0]:
        return False
    message.send()
    return True
