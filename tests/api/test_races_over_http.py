"""The credit limit and the Idempotency-Key hold over HTTP as they do at the counter (DESIGN.md
rules 6 and 8): a real server (pytest-django's `live_server`, Django's threaded WSGI server: one
thread and one PostgreSQL connection per client connection) and real concurrent clients (threads,
each with its own httpx client or socket), released together by a barrier.

The races run on PostgreSQL only: SQLite serialises writers, so it cannot show a race being
won or lost.
"""

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.test import override_settings

from ardoise.api.models import ApiKey, ApiRequest
from ardoise.api.money import amount_text
from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order, OrderStatus
from ardoise.invoicing.totals import LineInput
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import (
    Account,
    Charge,
    ChargeStatus,
    Credit,
    CreditKind,
    CreditStatus,
    IdempotencyRecord,
    JournalEntry,
)
from ardoise.payments.orders import place_online_order
from ardoise.payments.quotes import CartItem
from ardoise.statements.models import Statement
from tests.api.conftest import business_snapshot, new_secret
from tests.api.over_http import HttpApi, hang_up, raw_post, rows_changed, server_requests, together
from tests.factories import key, make_account, make_shop
from tests.payments.orders_support import RETURN_URL, account_with_balance, ordering_shop, product

CLIENTS = 16


def assert_ledger_clean(shop_id: int) -> None:
    assert check_ledger(shop_id).problems == []
    call_command("ledger_check")  # the nightly command: CommandError (exit 1) on any mismatch


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("credit_limit", "prepaid", "amount", "admitted"),
    [(100_00, 0, 7_00, 14), (0, 50_00, 5_00, 10)],
    ids=["16 x 7 EUR against a 100 EUR limit", "16 x 5 EUR against a 50 EUR prepaid balance"],
)
def test_parallel_charges_over_http_admit_exactly_what_the_limit_allows(
    live_server: Any, credit_limit: int, prepaid: int, amount: int, admitted: int
) -> None:
    shop = make_shop()
    account = make_account(shop, credit_limit=credit_limit, name="Bistrot du Port")
    if prepaid:
        ledger.record_top_up(
            account=account, amount=prepaid, mode="transfer", idempotency_key=key(), actor=None
        )
    secret = new_secret(shop)
    customer = account.customer_id
    body = {
        "customer_id": customer,
        "amount": amount_text(amount, "EUR"),
        "vat_amount": amount_text(amount // 6, "EUR"),  # 20 % VAT included
        "currency": "EUR",
    }
    before = business_snapshot()

    def connect(index: int) -> HttpApi:
        till = HttpApi(live_server.url, secret)
        assert till.get(f"/customers/{customer}/account").status_code == 200  # connected
        return till

    def charge(index: int, till: HttpApi) -> httpx.Response:
        try:
            return till.post("/charges", {**body, "reference": f"T-{index}"}, key=f"sale-{index}")
        finally:
            till.close()

    responses = together(CLIENTS, prepare=connect, act=charge)

    assert Counter(type(r).__name__ for r in responses) == {"Response": CLIENTS}, responses
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: admitted, 422: CLIENTS - admitted}
    for refused in (r for r in responses if r.status_code == 422):
        error = refused.json()["error"]
        assert (error["code"], error["field"]) == ("credit_limit_exceeded", "amount")
        assert error["message"].startswith("This would take the account beyond its credit limit")
    # Each admitted charge saw the balance the one before it left: one after the other, none lost.
    seen = [r.json()["balance_after"] for r in responses if r.status_code == 201]
    expected = [amount_text(prepaid - amount * n, "EUR") for n in range(1, admitted + 1)]
    assert sorted(seen) == sorted(expected)
    account.refresh_from_db()
    assert account.balance == prepaid - amount * admitted
    assert account.balance >= -credit_limit
    # The refused requests left nothing: only the admitted charges were written, with their
    # journal (3 postings each: the account, sales, VAT), ledger and API idempotency rows and
    # audit events (the posting and the call), beside the audit events of the 16 reads that
    # connected the clients. A prepaid balance is spent by allocating it to each charge.
    spent = {"ledger_allocation": (admitted, 0), "ledger_credit": (0, 1)} if prepaid else {}
    assert rows_changed(before, business_snapshot()) == {
        **spent,
        "ledger_account": (0, 1),
        "ledger_idempotency": (admitted, 0),
        "ledger_journal_entry": (admitted, 0),
        "ledger_posting": (3 * admitted, 0),
        "ledger_charge": (admitted, 0),
        "api_request": (admitted, 0),
        "audit_event": (CLIENTS + 2 * admitted, 0),
    }
    assert Charge.objects.filter(account=account).count() == admitted
    assert ApiRequest.objects.filter(shop=shop, status_code=201).count() == admitted
    assert_ledger_clean(shop.pk)


# --- The retry storm ---------------------------------------------------------------------------

# How each of the three copies of a write is sent: "answer" reads the response; "drop" sends the
# whole request and hangs up without reading a byte of the answer (the server goes on); "cut"
# hangs up halfway through the body (the server starts the request and finds its body short).
PATTERNS = [
    ("answer", "answer", "answer"),
    ("drop", "answer", "answer"),
    ("answer", "cut", "drop"),
    ("drop", "drop", "answer"),
    ("cut", "drop", "answer"),
    ("drop", "drop", "drop"),
]

# The writes whose service claims the ledger's idempotency key (an order keeps its key on its
# row, a cancellation posts nothing and has none but the API's).
LEDGER_KEYED = {
    "customer",
    "credit limit",
    "charge",
    "payment",
    "top-up",
    "credit note",
    "charge reversal",
    "credit reversal",
    "delivery",
    "checkout",
}
# Use cases that own their transaction (durable), so the API's idempotency record cannot share
# it: a statement and a checkout's order give their first result again by their own key, and
# releasing a released order answers it unchanged.
OWN_TRANSACTION = {"statement", "checkout", "checkout release"}

LINES = [
    {"description": "Tomates", "quantity": "1.5", "unit_price": "4.20", "vat_rate": "5.5"},
    {"description": "Pain", "quantity": "2", "unit_price": "1.10", "vat_rate": "5.5"},
]


def _order(account: Account) -> Order:
    lines = [
        LineInput(
            description="Colis de légumes",
            quantity=Decimal("1"),
            unit_price=Decimal("15.00"),
            vat_rate=Decimal("5.5"),
            unit="piece",
            product_id=None,
        )
    ]
    return invoicing.create_order(account=account, lines=lines, actor=None, idempotency_key=key())


@pytest.mark.postgres
@override_settings(API_RATE_BURST=1_000)
def test_a_retry_storm_posts_every_write_once_and_replays_its_first_answer(
    live_server: Any,
) -> None:
    """Every write of the API sent three times with one Idempotency-Key, all 42 copies at once,
    some hung up before their answer or halfway through their body."""
    shop = ordering_shop()
    account = make_account(shop, credit_limit=1_000_00, name="Épicerie Martin")
    # A web shop's customer, prepaid: the checkout's orders are covered by the balance.
    shopper = account_with_balance(shop, 50_00, allow_several_orders=True, name="Léon Roux")
    basket = product(shop, "20.00")
    to_release = place_online_order(
        account=shopper,
        items=[CartItem(product_id=basket.pk, quantity=Decimal("1"))],
        idempotency_key=key(),
        return_url=RETURN_URL,
    ).order
    customer = account.customer_id
    to_refund = ledger.post_charge(account=account, total=40_00, idempotency_key=key(), actor=None)
    to_reverse = ledger.post_charge(account=account, total=10_00, idempotency_key=key(), actor=None)
    top_up = ledger.record_top_up(
        account=account, amount=5_00, mode="transfer", idempotency_key=key(), actor=None
    )
    to_deliver, to_cancel = _order(account), _order(account)
    secret = new_secret(shop)
    api_key = ApiKey.objects.get(shop=shop)
    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("customer", "/customers", {"name": "Léa Petit", "credit_limit": "50.00"}),
        (
            "credit limit",
            f"/customers/{customer}/account/credit-limit",
            {"credit_limit": "900.00", "currency": "EUR", "reason": "Good customer"},
        ),
        (
            "charge",
            "/charges",
            {"customer_id": customer, "amount": "12.50", "currency": "EUR", "reference": "T-1"},
        ),
        (
            "payment",
            "/payments",
            {
                "customer_id": customer,
                "amount": "3.00",
                "currency": "EUR",
                "mode": "cash",
                "reference": "P-1",
            },
        ),
        (
            "top-up",
            "/top-ups",
            {
                "customer_id": customer,
                "amount": "20.00",
                "currency": "EUR",
                "mode": "card",
                "reference": "U-1",
            },
        ),
        (
            "credit note",
            f"/charges/{to_refund.pk}/credit-notes",
            {"amount": "4.00", "currency": "EUR", "reason": "Damaged box"},
        ),
        ("charge reversal", "/reversals", {"charge_id": to_reverse.pk, "reason": "Wrong customer"}),
        ("credit reversal", "/reversals", {"credit_id": top_up.pk, "reason": "Typed twice"}),
        ("order", "/orders", {"customer_id": customer, "currency": "EUR", "lines": LINES}),
        ("delivery", f"/orders/{to_deliver.pk}/deliver", None),
        ("cancellation", f"/orders/{to_cancel.pk}/cancel", {"reason": "Not collected"}),
        ("statement", f"/customers/{customer}/statements", None),
        (
            "checkout",
            "/checkout/orders",
            {
                "customer_id": shopper.customer_id,
                "currency": "EUR",
                "items": [{"product_id": basket.pk, "quantity": "1"}],
                "return_url": RETURN_URL,
            },
        ),
        ("checkout release", f"/checkout/orders/{to_release.pk}/release", None),
    ]
    sends = [
        (write, copy, "drop" if mode == "cut" and body is None else mode)
        for write, (_, _, body) in enumerate(writes)
        for copy, mode in enumerate(PATTERNS[write % len(PATTERNS)])
    ]
    headers = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    entries_before = JournalEntry.objects.filter(shop=shop).count()

    def prepare(index: int) -> Any:
        write, _, mode = sends[index]
        _, path, body = writes[write]
        if mode == "answer":
            return HttpApi(live_server.url, secret)
        idempotency = {"Idempotency-Key": f"storm-{write}"}
        return raw_post(live_server.url, path, body, {**headers, **idempotency})

    def send(index: int, prepared: Any) -> httpx.Response | None:
        write, _, mode = sends[index]
        _, path, body = writes[write]
        if mode == "answer":
            try:
                return prepared.post(path, body, key=f"storm-{write}")
            finally:
                prepared.close()
        request, connection = prepared
        hang_up(connection, request, body_cut=mode == "cut")
        return None

    with server_requests() as served:
        results = together(len(sends), prepare=prepare, act=send)
        errors = [result for result in results if isinstance(result, BaseException)]
        assert errors == []
        # Every copy's headers arrived whole, so the server runs each one, hung up or not:
        # wait for all of them before looking at what they wrote.
        served.wait_for(len(sends))
        assert served.started == len(sends)

    retry = HttpApi(live_server.url, secret)
    for write, (name, path, body) in enumerate(writes):
        answered = [r for (w, _, _), r in zip(sends, results, strict=True) if w == write and r]
        last = retry.post(path, body, key=f"storm-{write}")  # a fourth copy, after the storm
        assert last.status_code in {200, 201}, (name, last.text)
        for response in answered:
            assert (response.status_code, response.content) == (last.status_code, last.content)
        if name in OWN_TRANSACTION:  # answered again from what they wrote, not stored
            continue
        assert last.headers["Idempotent-Replayed"] == "true", name
        assert sum("Idempotent-Replayed" not in r.headers for r in answered) <= 1, name
        stored = ApiRequest.objects.get(api_key=api_key, idempotency_key=f"storm-{write}")
        assert (stored.status_code, stored.response.encode()) == (last.status_code, last.content)
        if name in LEDGER_KEYED:  # and the ledger's own claim, on the key derived from it
            ledger_key = f"api:{api_key.pk}:storm-{write}"
            assert IdempotencyRecord.objects.filter(key=ledger_key).count() == 1, name
    retry.close()

    # Exactly one of each.
    assert Customer.objects.filter(shop=shop, name="Léa Petit").count() == 1
    assert Account.objects.get(customer__name="Léa Petit").credit_limit == 50_00
    limit_changes = AuditEvent.objects.filter(
        action="ledger.account.credit_limit_changed", shop=shop, object_id=account.pk
    )
    assert limit_changes.count() == 1
    account.refresh_from_db()
    assert account.credit_limit == 900_00
    assert Charge.objects.filter(account=account, reference="T-1").count() == 1
    assert Credit.objects.filter(account=account, kind=CreditKind.PAYMENT).count() == 1
    assert Credit.objects.filter(account=account, kind=CreditKind.TOP_UP).count() == 2
    assert Credit.objects.filter(account=account, kind=CreditKind.CREDIT_NOTE).count() == 1
    assert JournalEntry.objects.filter(reverses=to_reverse.entry).count() == 1
    assert JournalEntry.objects.filter(reverses=top_up.entry).count() == 1
    assert Charge.objects.get(pk=to_reverse.pk).status == ChargeStatus.VOID
    assert Credit.objects.get(pk=top_up.pk).status == CreditStatus.VOID
    assert Order.objects.filter(account=account).count() == 3
    assert Order.objects.filter(account=shopper).count() == 2
    assert Order.objects.get(pk=to_release.pk).status == OrderStatus.CANCELLED
    shopper.refresh_from_db()
    assert (shopper.balance, shopper.reserved) == (50_00, 20_00)  # the new order's hold only
    assert Invoice.objects.filter(order=to_deliver).count() == 1
    assert Order.objects.get(pk=to_cancel.pk).status == OrderStatus.CANCELLED
    for cancelled in (to_cancel, to_release):
        events = AuditEvent.objects.filter(
            action="invoicing.order.cancelled", shop=shop, object_id=cancelled.pk
        )
        assert events.count() == 1
    assert Statement.objects.filter(account=account).count() == 1
    # Seven entries: the charge, the payment, the top-up, the credit note, two reversals and the
    # delivered order's invoice.
    assert JournalEntry.objects.filter(shop=shop).count() == entries_before + 7
    assert ApiRequest.objects.filter(shop=shop).count() == len(writes) - len(OWN_TRANSACTION)
    assert_ledger_clean(shop.pk)


def test_a_request_cut_halfway_through_its_body_writes_nothing_and_its_retry_is_answered(
    live_server: Any,
) -> None:
    """An operation that reads no body (delivering an order) sent with one: the connection
    drops after one byte of it. Run, what arrived would claim the key as another request, and
    the till's retry of the whole request would be refused with 409."""
    shop = make_shop()
    account = make_account(shop, credit_limit=100_00)
    order = _order(account)
    secret = new_secret(shop)
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "deliver-1"}
    before = business_snapshot()

    with server_requests() as served:
        request, connection = raw_post(live_server.url, f"/orders/{order.pk}/deliver", {}, headers)
        hang_up(connection, request, body_cut=True)
        served.wait_for(1)

    assert business_snapshot().changes_since(before) == {}
    till = HttpApi(live_server.url, secret)
    retried = till.post(f"/orders/{order.pk}/deliver", {}, key="deliver-1")
    till.close()
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
    assert retried.json()["status"] == OrderStatus.DELIVERED
    assert Invoice.objects.filter(order=order).count() == 1


@pytest.mark.postgres
def test_parallel_checkouts_over_http_hold_the_balance_once(live_server: Any) -> None:
    """16 web-shop checkouts of 20 € at once for one customer with 50 € prepaid (payment
    required, several open orders allowed): what the orders hold adds up to the 50 € exactly,
    each order's amount to pay is the rest of its total, and nothing is held twice."""
    shop = ordering_shop()
    account = account_with_balance(shop, 50_00, allow_several_orders=True)
    basket = product(shop, "20.00")
    secret = new_secret(shop)
    body = {
        "customer_id": account.customer_id,
        "currency": "EUR",
        "items": [{"product_id": basket.pk, "quantity": "1"}],
        "return_url": RETURN_URL,
    }

    def connect(index: int) -> HttpApi:
        till = HttpApi(live_server.url, secret)
        assert till.get(f"/customers/{account.customer_id}/account").status_code == 200
        return till

    def place(index: int, till: HttpApi) -> httpx.Response:
        try:
            return till.post("/checkout/orders", body, key=f"web-{index}")
        finally:
            till.close()

    responses = together(CLIENTS, prepare=connect, act=place)

    assert [getattr(r, "status_code", r) for r in responses] == [201] * CLIENTS
    placed = [r.json() for r in responses]
    held = sorted(int(p["reserved"].replace(".", "")) for p in placed)
    assert sum(held) == 50_00
    assert held[-3:] == [10_00, 20_00, 20_00]  # two covered, one in part, the rest paid online
    for one in placed:
        to_pay = int(one["checkout"]["amount"].replace(".", "")) if one["checkout"] else 0
        assert int(one["reserved"].replace(".", "")) + to_pay == 20_00
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (50_00, 50_00)
    assert Order.objects.filter(account=account).count() == CLIENTS
    assert_ledger_clean(shop.pk)
