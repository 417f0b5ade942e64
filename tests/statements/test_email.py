"""Statement emails through a real SMTP server (aiosmtpd on 127.0.0.1), sent by the worker."""

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from ardoise.core.money import format_money
from ardoise.statements.delivery import deliver_statement_send
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import SendStatus, StatementLink, StatementSend
from ardoise.statements.services import queue_statement_email
from tests.factories import key, make_shop
from tests.statements.support import (
    account_with_charges,
    enable_online_payment,
    free_port,
    parts,
    payment_path,
    pdf_text,
    run_worker,
    smtp_server,
    smtp_settings,
    squash,
)

pytestmark = pytest.mark.django_db


def _queue(account, email="client@example.com"):  # type: ignore[no-untyped-def]
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    send = queue_statement_email(
        statement=statement, email=email, actor=None, idempotency_key=key()
    )
    return statement, send


def test_the_worker_emails_the_statement_with_both_parts_the_pdf_and_the_link(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = make_shop(name="Ferme du Test")
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [1_234_50, 65_50], language="en")
    with smtp_server() as sink:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            statement, send = _queue(account, "paul@example.com")
        assert sink.messages == []  # queued, not sent inside the request

        run_worker()

    (message,) = sink.messages
    assert message["Subject"] == f"Statement No. {statement.number} from Ferme du Test"
    assert message["To"] == "paul@example.com"
    text, html, attachments = parts(message)
    assert "INV-0001" in text
    assert "INV-0002" in text
    assert "Total due: €1,300.00" in squash(text)
    assert "INV-0001" in html
    assert "€1,300.00" in html
    path = payment_path(text)
    assert payment_path(html) == path
    assert StatementLink.objects.filter(statement=statement).count() == 1
    ((name, content),) = attachments
    assert name == f"statement-{statement.number}.pdf"
    pdf = squash(pdf_text(content))
    assert f"Statement No. {statement.number}" in pdf
    assert "Invoice INV-0001 02/01/2025 01/02/2025 €1,234.50 €1,234.50" in pdf
    assert "Invoice INV-0002 03/01/2025 02/02/2025 €65.50 €65.50" in pdf
    assert "Total due €1,300.00" in pdf
    send.refresh_from_db()
    assert (send.status, send.reason, send.with_payment_link) == (SendStatus.SENT, "", True)


def test_a_french_customer_gets_french_amounts() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [1_234_50], language="fr")
    with smtp_server() as sink:
        _, send = _queue(account)
        deliver_statement_send(send_id=send.pk)

    text, _, attachments = parts(sink.messages[0])
    expected = format_money(1_234_50, "EUR", locale="fr_FR")  # 1 234,50 € with narrow spaces
    assert expected in text
    assert squash(expected) in squash(pdf_text(attachments[0][1]))


def test_without_online_payment_the_email_has_no_link() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [10_00])
    with smtp_server() as sink:
        _, send = _queue(account)
        deliver_statement_send(send_id=send.pk)

    text, html, _ = parts(sink.messages[0])
    assert "/p/s/" not in text
    assert "/p/s/" not in html
    assert StatementLink.objects.count() == 0
    send.refresh_from_db()
    assert send.with_payment_link is False


def test_above_the_online_maximum_the_email_has_no_link_and_says_why() -> None:
    shop = make_shop(online_payment_max=100_00)
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [100_01])
    with smtp_server() as sink:
        _, send = _queue(account)
        deliver_statement_send(send_id=send.pk)

    text, _, _ = parts(sink.messages[0])
    assert "/p/s/" not in text
    assert "Amounts above €100.00 cannot be paid online" in squash(text)


def test_a_closed_smtp_port_marks_the_send_failed_with_the_reason() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [10_00])
    now = timezone.now()
    with smtp_settings(free_port()), time_machine.travel(now, tick=False):
        _, send = _queue(account)
        result = deliver_statement_send(send_id=send.pk)

    assert result.status == SendStatus.FAILED
    assert result.reason.startswith("ConnectionRefusedError:")
    assert result.finished_at == now


def test_running_the_task_twice_sends_once() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [10_00])
    with smtp_server() as sink:
        _, send = _queue(account)
        deliver_statement_send(send_id=send.pk)
        again = deliver_statement_send(send_id=send.pk)

    assert (len(sink.messages), again.status) == (1, SendStatus.SENT)


def test_make_run_default_backend_writes_files(tmp_path: object) -> None:
    """Without EMAIL_HOST, messages are written under var/mail (as `make run` does)."""
    shop = make_shop()
    account, _ = account_with_charges(shop, [10_00])
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path),
    ):
        _, send = _queue(account)
        deliver_statement_send(send_id=send.pk)

    files = list(tmp_path.iterdir())  # type: ignore[attr-defined]
    assert len(files) == 1
    assert "Subject: Statement No. 1 from" in files[0].read_text()
    assert StatementSend.objects.get().status == SendStatus.SENT
    assert mail.outbox == []
