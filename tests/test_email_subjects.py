"""Email subjects are plain text: "Dupont & Fils" reads so, not "Dupont &amp; Fils"."""

import pytest
from django.core import mail

from ardoise.shops.models import Membership, RoleKind
from ardoise.staff.settings.tasks import send_invitation_task
from ardoise.statements.issuing import issue_statement
from ardoise.statements.services import queue_statement_email
from tests.factories import key, make_member, make_shop
from tests.statements.support import account_with_charges, run_worker

pytestmark = pytest.mark.django_db

NAME = "Dupont & Fils <Épicerie>"


def test_the_statement_email_subject_is_plain_text(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    account, _ = account_with_charges(make_shop(name=NAME), [12_00], language="en")
    with django_capture_on_commit_callbacks(execute=True):
        statement = issue_statement(account=account, actor=None, idempotency_key=key())
        queue_statement_email(
            statement=statement, email="client@example.com", actor=None, idempotency_key=key()
        )

    run_worker()

    assert [message.subject for message in mail.outbox] == [
        f"Statement No. {statement.number} from {NAME}"
    ]


def test_the_invitation_subject_is_plain_text() -> None:
    shop = make_shop(name=NAME)
    user = make_member(shop, RoleKind.MANAGER, language="en")
    membership = Membership.objects.get(shop=shop, user=user)

    send_invitation_task.enqueue(membership.pk)
    run_worker()

    assert [message.subject for message in mail.outbox] == [f"You are invited to {NAME} on Ardoise"]
