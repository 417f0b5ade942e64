"""Background tasks of the back office (django-tasks; worker: `manage.py db_worker`).

Like every email, the staff invitation leaves after the membership is committed: the view
enqueues this task with `transaction.on_commit`, and the task takes the membership's id and
re-reads it, so a membership deactivated in the meantime is not invited.
"""

from django_tasks import task

from ardoise.shops.models import Membership
from ardoise.staff.settings.emails import send_invitation


@task()
def send_invitation_task(membership_id: int) -> bool:
    """Email the invitation of one membership; returns whether it was sent."""
    membership = (
        Membership.objects.select_related("user", "shop")
        .filter(pk=membership_id, is_active=True)
        .first()
    )
    if membership is None:
        return False
    send_invitation(membership=membership)
    return True
