"""Shared by the statement, portal, payment and browser tests: a real SMTP server (aiosmtpd on
127.0.0.1), a worker run, and accounts with open charges."""

import datetime as dt
import email
import email.policy
import io
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage, MIMEPart
from typing import Any
from unittest import mock

from aiosmtpd.controller import Controller
from django.test import override_settings
from pypdf import PdfReader

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge
from ardoise.payments.online import set_online_provider
from ardoise.shops.models import Shop
from tests.factories import key, make_account


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    """Collects every message; after `refuse_after` messages it answers 451 to the rest."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_after: int | None = None
    port: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
            return "451 4.3.0 Mailbox temporarily unavailable"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return [str(message["To"]) for message in self.messages]


def smtp_settings(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=5,
    )


@contextmanager
def smtp_server(refuse_after: int | None = None) -> Iterator[SmtpSink]:
    sink = SmtpSink(refuse_after=refuse_after)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        with smtp_settings(controller.port):
            yield sink
    finally:
        controller.stop()


def run_worker() -> None:
    """Run the database worker once over every task ready now, as `db_worker --batch` would.

    The worker closes "obsolete" connections between tasks; inside a test's transaction that
    would close the test's own connection on PostgreSQL, so that step is skipped here.
    """
    from django_tasks_db.management.commands import db_worker

    with mock.patch.object(db_worker, "close_old_connections", return_value=None):
        _worker().run()


def _worker() -> Any:
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    )


def parts(message: EmailMessage) -> tuple[str, str, list[tuple[str, bytes]]]:
    """Text body, HTML body and attachments (name, content) of a received message."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = [
        (str(part.get_filename()), part.get_payload(decode=True))
        for part in message.iter_attachments()
    ]
    assert isinstance(text, MIMEPart)
    assert isinstance(html, MIMEPart)
    return str(text.get_content()), str(html.get_content()), attachments  # type: ignore[misc]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def squash(text: str) -> str:
    """Spaces of every kind (narrow no-break, no-break, runs) as one plain space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


LINK = re.compile(r"https?://[^/\s\"]+(/p/s/[^/\s\"]+/)")


def payment_path(text: str) -> str:
    match = LINK.search(text)
    assert match is not None, "no payment link"
    return match.group(1)


def enable_online_payment(shop: Shop) -> None:
    set_online_provider(shop_id=shop.pk, provider="test", actor=None)


def account_with_charges(
    shop: Shop,
    totals: list[int],
    *,
    language: str = "en",
    email_address: str = "client@example.com",
    **customer: Any,
) -> tuple[Account, list[Charge]]:
    account = make_account(shop, language=language, email=email_address, **customer)
    charges = [
        ledger.post_charge(
            account=account,
            total=total,
            idempotency_key=key(),
            actor=None,
            reference=f"INV-{index:04d}",
            issued_on=dt.date(2025, 1, 1) + dt.timedelta(days=index),
            due_on=dt.date(2025, 1, 31) + dt.timedelta(days=index),
        )
        for index, total in enumerate(totals, start=1)
    ]
    account.refresh_from_db()
    return account, charges
