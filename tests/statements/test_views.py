"""Back-office statement pages: preview, send, print, PDF, bulk runs, settings, access."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from ardoise.ledger.selectors import overview
from ardoise.payments.models import OnlinePaymentSettings
from ardoise.shops.models import Shop
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import (
    SendStatus,
    Statement,
    StatementRun,
    StatementRunItem,
    StatementSend,
)
from ardoise.statements.services import queue_statement_email, start_statement_run
from tests.factories import client_for, key, make_shop, owner_of
from tests.statements.support import account_with_charges, pdf_text, squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop()


def test_preview_shows_the_account_as_it_is_now_without_numbering_it(
    shop: Shop, owner_client: Client
) -> None:
    account, _ = account_with_charges(shop, [12_34, 56_78])

    response = owner_client.get(reverse("staff:statement_preview", args=[account.customer_id]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Statement (preview)" in html
    assert "INV-0001" in html
    assert "INV-0002" in html
    assert "€69.12" in html
    assert 'value="client@example.com"' in html
    assert Statement.objects.count() == 0


def test_send_stores_the_snapshot_queues_the_email_and_shows_a_banner(
    shop: Shop, owner_client: Client, django_capture_on_commit_callbacks: object
) -> None:
    account, _ = account_with_charges(shop, [12_34])
    url = reverse("staff:statement_preview", args=[account.customer_id])
    form = {"email": "other@example.com", "action": "send", "idempotency_key": key()}

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = owner_client.post(url, form, follow=True)
        owner_client.post(url, form)  # a double click

    statement = Statement.objects.get()
    assert response.redirect_chain == [
        (reverse("staff:statement_detail", args=[statement.pk]), 302)
    ]
    assert f"Statement No. {statement.number} is queued for sending to other@example.com." in (
        response.content.decode()
    )
    send = StatementSend.objects.get()
    assert (send.email, send.status, send.statement_id) == (
        "other@example.com",
        SendStatus.QUEUED,
        statement.pk,
    )
    assert DBTaskResult.objects.count() == 1


def test_send_without_an_address_is_refused_and_stores_nothing(
    shop: Shop, owner_client: Client
) -> None:
    account, _ = account_with_charges(shop, [12_34])
    url = reverse("staff:statement_preview", args=[account.customer_id])

    response = owner_client.post(url, {"email": "", "action": "send", "idempotency_key": key()})

    assert response.status_code == 200
    assert "Enter the address to send the statement to." in response.content.decode()
    assert (Statement.objects.count(), StatementSend.objects.count()) == (0, 0)


def test_print_and_pdf_from_the_preview(shop: Shop, owner_client: Client) -> None:
    account, _ = account_with_charges(shop, [12_34])
    url = reverse("staff:statement_preview", args=[account.customer_id])

    printed = owner_client.post(url, {"action": "print", "idempotency_key": key()}, follow=True)
    statement = Statement.objects.get()
    pdf = owner_client.get(reverse("staff:statement_pdf", args=[statement.pk]))

    assert printed.redirect_chain[-1][0] == reverse("staff:statement_print", args=[statement.pk])
    assert "data-print" in printed.content.decode()  # the print button (static script)
    assert "INV-0001" in printed.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    assert "Total due €12.34" in squash(pdf_text(pdf.content))


def test_detail_shows_the_send_log_with_the_failure_reason(
    shop: Shop, owner_client: Client
) -> None:
    account, _ = account_with_charges(shop, [12_34])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    send = queue_statement_email(
        statement=statement, email="a@example.com", actor=None, idempotency_key=key()
    )
    StatementSend.objects.filter(pk=send.pk).update(
        status=SendStatus.FAILED, reason="ConnectionRefusedError: refused"
    )

    html = owner_client.get(reverse("staff:statement_detail", args=[statement.pk])).content.decode()

    assert 'data-send-status="failed"' in html
    assert "ConnectionRefusedError: refused" in html


def test_resend_queues_another_email(shop: Shop, owner_client: Client) -> None:
    account, _ = account_with_charges(shop, [12_34])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())

    response = owner_client.post(
        reverse("staff:statement_send", args=[statement.pk]),
        {"email": "again@example.com", "idempotency_key": key()},
    )

    assert response.status_code == 302
    assert list(StatementSend.objects.values_list("email", flat=True)) == ["again@example.com"]


def test_account_panel_has_the_button_and_the_send_log(shop: Shop) -> None:
    account, _ = account_with_charges(shop, [12_34])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    queue_statement_email(
        statement=statement, email="a@example.com", actor=None, idempotency_key=key()
    )
    context = {
        "customer": account.customer,
        "account": account,
        "overview": overview(account),
        "member": None,
        "can": frozenset({"statements.send", "customers.view"}),
    }

    html = render_to_string("staff/statements/_account_panel.html", context)
    without = render_to_string(
        "staff/statements/_account_panel.html", {**context, "can": frozenset({"customers.view"})}
    )

    assert reverse("staff:statement_preview", args=[account.customer_id]) in html
    assert 'data-send-status="queued"' in html
    assert "a@example.com" in html
    assert reverse("staff:statement_preview", args=[account.customer_id]) not in without


def test_bulk_run_page_starts_a_run_and_shows_progress(
    shop: Shop, owner_client: Client, django_capture_on_commit_callbacks: object
) -> None:
    account_with_charges(shop, [12_34], email_address="a@example.com")
    account_with_charges(shop, [99], email_address="b@example.com")

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = owner_client.post(
            reverse("staff:statement_runs"), {"minimum_debt": "1.00", "idempotency_key": key()}
        )
    run = StatementRun.objects.get()
    page = owner_client.get(response["Location"])
    partial = owner_client.get(response["Location"], headers={"HX-Request": "true"})

    assert (run.minimum_debt, StatementRunItem.objects.filter(run=run).count()) == (1_00, 1)
    assert DBTaskResult.objects.get().task_path == "ardoise.statements.tasks.run_statements_task"
    assert 'http-equiv="refresh"' in page.content.decode()  # works without JavaScript
    assert 'hx-trigger="every 2s"' in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_run_again_queues_the_run(shop: Shop, owner_client: Client) -> None:
    account_with_charges(shop, [12_34])
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    response = owner_client.post(reverse("staff:statement_run_resume", args=[run.pk]))

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "queued"


def test_settings_save_the_shop_and_the_provider(shop: Shop, owner_client: Client) -> None:
    response = owner_client.post(
        reverse("staff:statement_settings"),
        {
            "statement_link_days": "14",
            "online_payment_max_amount": "500.00",
            "show_credit_limit_on_statements": "on",
            "provider": "test",
            "legal_name": "SARL Test",
            "address": "1 rue Haute",
            "email": "shop@example.com",
        },
    )

    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.statement_link_days, shop.online_payment_max, shop.legal_name) == (
        14,
        500_00,
        "SARL Test",
    )
    assert shop.show_credit_limit_on_statements is True
    assert OnlinePaymentSettings.objects.get(shop=shop).provider == "test"


# --- Access: another shop's ids give 404 (each role: tests/staff/test_permission_matrix.py) ----


def _views(customer_id: int, statement_id: int, run_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("staff:statement_preview", args=[customer_id])),
        ("post", reverse("staff:statement_preview", args=[customer_id])),
        ("get", reverse("staff:statement_detail", args=[statement_id])),
        ("post", reverse("staff:statement_send", args=[statement_id])),
        ("get", reverse("staff:statement_print", args=[statement_id])),
        ("get", reverse("staff:statement_pdf", args=[statement_id])),
        ("get", reverse("staff:statement_run_detail", args=[run_id])),
        ("post", reverse("staff:statement_run_resume", args=[run_id])),
    ]


def _objects(shop: Shop) -> tuple[int, int, int]:
    account, _ = account_with_charges(shop, [12_34])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    return account.customer_id, statement.pk, run.pk


def test_another_shops_ids_give_404(shop: Shop, owner_client: Client) -> None:
    ids = _objects(make_shop())

    for method, url in _views(*ids):
        response = getattr(owner_client, method)(
            url, {"email": "a@example.com", "idempotency_key": key()}
        )
        assert response.status_code == 404, url
    assert StatementSend.objects.count() == 0


def test_bulk_run_amount_is_shown_and_read_in_french(shop: Shop) -> None:
    member = owner_of(shop)
    client = client_for(member)
    member.language = "fr"
    member.save(update_fields=["language"])
    assert 'value="0,01"' in client.get(reverse("staff:statement_runs")).content.decode()

    client.post(reverse("staff:statement_runs"), {"minimum_debt": "2,50", "idempotency_key": key()})

    assert StatementRun.objects.get().minimum_debt == 2_50
