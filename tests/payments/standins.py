"""LOCAL STAND-INS for SumUp's and Stripe's APIs: not the providers, no money, tests only.

One HTTP server on 127.0.0.1 per test, speaking the endpoints the official SDKs call, with the
payload shapes the providers document (SumUp: developer.sumup.com/api, checkouts, merchants,
transactions; Stripe: docs.stripe.com/api, Checkout Sessions, Refunds, Account). The real SDKs
are pointed at it through their own base-URL options (`SUMUP_API_BASE` → `Sumup`'s
`base_url`, `STRIPE_API_BASE` → `StripeClient(base_addresses={"api": ...})`), so every request
Ardoise makes goes through the SDK and Ardoise's outbound client over real sockets.

Each stand-in also serves a hosted payment page (`/pay/<checkout>` for SumUp, `/stripe/pay/
<session>` for Stripe) whose button marks the checkout paid, posts the provider's webhook to
the shop's address (signed as the provider signs: SumUp's `X-SumUp-Webhook-Signature`
`t=<ts>,v1=HMAC-SHA256(secret, "v1:<ts>:<body>")`, Stripe's `Stripe-Signature`
`t=<ts>,v1=HMAC-SHA256(secret, "<ts>.<body>")`) and sends the payer back. The signatures are
computed here from the documented schemes, not with the SDKs' helpers, so that a test proves
the SDK verifies what the provider sends.

Faults: `fail(method, path_prefix, kind, times)` makes the next matching requests time out
(the answer comes after the client gave up; the request was still received and acted on) or
answer 500 without acting.
"""

import contextlib
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def sumup_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v1:" + stamp.encode() + b":" + body, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


def stripe_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


@dataclass
class Fault:
    method: str
    path: str
    kind: str  # "timeout" or "500"
    times: int


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StandIn:
    """State of both stand-ins; `base` is the server's address once started."""

    sumup_key: str = "sup_sk_standin"
    stripe_key: str = "sk_test_standin"
    merchant_code: str = "MSTANDIN"
    sleep_seconds: float = 1.5
    base: str = ""
    checkouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    replays: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    # Where the hosted pages post their webhook, per provider (the shop's address) and secret.
    webhooks: dict[str, tuple[str, str]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def fail(self, method: str, path: str, kind: str, times: int = 1) -> None:
        self.faults.append(Fault(method, path, kind, times))

    def requests(self, method: str, path: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path.startswith(path)]

    # --- SumUp ----------------------------------------------------------------------------

    def sumup_create(self, body: dict[str, Any]) -> tuple[int, Any]:
        reference = body.get("checkout_reference")
        if any(c["checkout_reference"] == reference for c in self.checkouts.values()):
            return 409, {
                "error_code": "DUPLICATED_CHECKOUT",
                "message": "Checkout with this checkout reference and pay to email already exists",
            }
        amount = body.get("amount")
        if not isinstance(amount, Decimal) or not body.get("hosted_checkout", {}).get("enabled"):
            return 400, {"error_code": "INVALID", "message": "Validation error", "param": "amount"}
        checkout_id = secrets.token_hex(16)
        self.checkouts[checkout_id] = {
            "id": checkout_id,
            "checkout_reference": reference,
            "amount": amount,
            "currency": body["currency"],
            "merchant_code": body["merchant_code"],
            "description": body.get("description", ""),
            "return_url": body.get("return_url"),
            "redirect_url": body.get("redirect_url"),
            "valid_until": body.get("valid_until"),
            "status": "PENDING",
            "date": "2026-12-02T10:00:00.000+00:00",
            "hosted_checkout_url": f"{self.base}/pay/{checkout_id}",
            "transactions": [],
        }
        return 201, self.checkouts[checkout_id]

    def sumup_open(self, amount: str, currency: str = "EUR", reference: str = "") -> str:
        """A checkout made at SumUp without Ardoise (another till, a forged one)."""
        status, checkout = self.sumup_create(
            {
                "checkout_reference": reference or "elsewhere-" + secrets.token_hex(4),
                "amount": Decimal(amount),
                "currency": currency,
                "merchant_code": self.merchant_code,
                "hosted_checkout": {"enabled": True},
            }
        )
        assert status == 201
        return str(checkout["id"])

    def sumup_pay(self, checkout_id: str, *, status: str = "PAID") -> None:
        with self.lock:
            checkout = self.checkouts[checkout_id]
            checkout["status"] = status
            if status == "PAID":
                transaction_id = "txn-" + secrets.token_hex(8)
                transaction = {
                    "id": transaction_id,
                    "transaction_code": "T" + secrets.token_hex(4).upper(),
                    "amount": checkout["amount"],
                    "currency": checkout["currency"],
                    "status": "SUCCESSFUL",
                    "payment_type": "ECOM",
                    "timestamp": "2026-12-02T10:01:00.000+00:00",
                    "merchant_code": checkout["merchant_code"],
                }
                checkout["transactions"] = [transaction]
                checkout["transaction_id"] = transaction_id
                self.transactions[transaction_id] = {**transaction, "events": []}

    def sumup_event(
        self,
        checkout_id: str,
        kind: str = "checkouts.paid",
        *,
        secret: str,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed event notification, as SumUp posts it."""
        body = json.dumps(
            {
                "id": "evt_" + secrets.token_hex(10),
                "type": kind,
                "created_at": "2026-12-02T10:01:00Z",
                "object": {
                    "id": checkout_id,
                    "type": "checkout",
                    "url": f"{self.base}/v0.1/checkouts/{checkout_id}",
                },
            }
        ).encode()
        return body, {"X-SumUp-Webhook-Signature": sumup_signature(secret, body, timestamp)}

    def sumup_callback(self, checkout_id: str) -> tuple[bytes, dict[str, str]]:
        """The unsigned status callback SumUp posts to a checkout's `return_url`."""
        body = json.dumps({"event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout_id}).encode()
        return body, {}

    def sumup_refund(self, transaction_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        transaction = self.transactions.get(transaction_id)
        if transaction is None:
            return 404, {"title": "Not Found", "status": 404, "detail": "no such transaction"}
        refunded = sum(e["amount"] for e in transaction["events"] if e["type"] == "REFUND")
        amount = body.get("amount", transaction["amount"] - refunded)
        if not isinstance(amount, Decimal) or amount + refunded > transaction["amount"]:
            return 409, {"title": "Conflict", "status": 409, "detail": "amount not refundable"}
        transaction["events"].append(
            {
                "id": len(transaction["events"]) + 1,
                "type": "REFUND",
                "amount": amount,
                "status": "SUCCESSFUL",
                "timestamp": "2026-12-02T11:00:00.000+00:00",
                "transaction_id": transaction_id,
            }
        )
        return 201, {}

    # --- Stripe ---------------------------------------------------------------------------

    def stripe_create(self, form: dict[str, str]) -> tuple[int, Any]:
        session_id = "cs_test_" + secrets.token_hex(12)
        unit_amount = form["line_items[0][price_data][unit_amount]"]
        if not unit_amount.isdigit() or form.get("mode") != "payment":
            return 400, {"error": {"type": "invalid_request_error", "message": "Invalid amount"}}
        self.sessions[session_id] = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "amount_total": int(unit_amount),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {"ardoise_reference": form.get("metadata[ardoise_reference]")},
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "expires_at": int(form.get("expires_at", "0")),
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "url": f"{self.base}/stripe/pay/{session_id}",
        }
        return 200, self.sessions[session_id]

    def stripe_pay(self, session_id: str, *, delayed: bool = False) -> None:
        with self.lock:
            session = self.sessions[session_id]
            intent_id = "pi_" + secrets.token_hex(12)
            self.intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "status": "processing" if delayed else "succeeded",
            }
            session.update(
                status="complete",
                payment_status="unpaid" if delayed else "paid",
                payment_intent=intent_id,
            )

    def stripe_settle_delayed(self, session_id: str, *, succeeded: bool) -> None:
        with self.lock:
            session = self.sessions[session_id]
            intent = self.intents[session["payment_intent"]]
            intent["status"] = "succeeded" if succeeded else "requires_payment_method"
            if succeeded:
                session["payment_status"] = "paid"

    def stripe_event(
        self,
        session_id: str,
        kind: str = "checkout.session.completed",
        *,
        secret: str,
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A signed webhook event carrying the session, as Stripe posts it."""
        body = json.dumps(
            {
                "id": "evt_" + secrets.token_hex(12),
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "type": kind,
                "livemode": False,
                "pending_webhooks": 1,
                "data": {"object": dict(self.sessions[session_id])},
            }
        ).encode()
        return body, {"Stripe-Signature": stripe_signature(secret, body, timestamp)}

    def stripe_refund(self, form: dict[str, str]) -> tuple[int, Any]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            return 400, {"error": {"type": "invalid_request_error", "message": "No such intent"}}
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        amount = int(form.get("amount", intent["amount"] - refunded))
        if amount + refunded > intent["amount"]:
            return 400, {
                "error": {"type": "invalid_request_error", "message": "Refund exceeds the charge"}
            }
        refund_id = "re_" + secrets.token_hex(12)
        self.refunds[refund_id] = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        return 200, self.refunds[refund_id]

    def stripe_session(self, session_id: str, expand: bool) -> dict[str, Any]:
        session = dict(self.sessions[session_id])
        if expand and session["payment_intent"]:
            session["payment_intent"] = dict(self.intents[session["payment_intent"]])
        return session


def _dumps(value: Any) -> bytes:
    def default(item: Any) -> Any:
        if isinstance(item, Decimal):
            return float(item)  # the stand-in answers as SumUp's JSON does: a number
        raise TypeError(type(item).__name__)

    return json.dumps(value, default=default).encode()


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _answer(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        body = payload if isinstance(payload, bytes) else _dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _fault(self, method: str, path: str) -> str:
        with self.standin.lock:
            for fault in self.standin.faults:
                if fault.times > 0 and fault.method == method and path.startswith(fault.path):
                    fault.times -= 1
                    return fault.kind
        return ""

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        body = self._body() if method == "POST" else b""
        self.standin.received.append(Received(method, url.path, dict(self.headers), body))
        if url.path.startswith(("/pay/", "/stripe/pay/")):
            return self._hosted(method, url.path)
        kind = self._fault(method, url.path)
        if kind == "500":
            return self._answer(500, {"title": "Internal Server Error", "status": 500})
        key = self.headers.get("Authorization", "")
        if url.path.startswith(("/v1/checkout/", "/v1/refunds", "/v1/account")):
            status, payload = self._stripe(method, url, body, key)
        else:
            status, payload = self._sumup(method, url, body, key)
        if kind == "timeout":
            time.sleep(self.standin.sleep_seconds)  # acted on, answered too late
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(status, payload)

    def _sumup(self, method: str, url: Any, body: bytes, key: str) -> tuple[int, Any]:
        standin = self.standin
        if key != f"Bearer {standin.sumup_key}":
            return 401, {"type": "about:blank", "title": "Unauthorized", "status": 401}
        path, query = url.path, urllib.parse.parse_qs(url.query)
        with standin.lock:
            if method == "POST" and path == "/v0.1/checkouts":
                return standin.sumup_create(json.loads(body, parse_float=Decimal))
            if method == "GET" and path == "/v0.1/checkouts":
                reference = query.get("checkout_reference", [""])[0]
                return 200, [
                    c for c in standin.checkouts.values() if c["checkout_reference"] == reference
                ]
            if method == "GET" and path.startswith("/v0.1/checkouts/"):
                checkout = standin.checkouts.get(path.rsplit("/", 1)[1])
                if checkout is None:
                    return 404, {"error_code": "NOT_FOUND", "message": "Resource not found"}
                return 200, checkout
            if method == "GET" and path == f"/v1/merchants/{standin.merchant_code}":
                return 200, {
                    "merchant_code": standin.merchant_code,
                    "country": "FR",
                    "default_currency": "EUR",
                    "default_locale": "fr-FR",
                    "created_at": "2024-01-01T00:00:00Z",
                    "updated_at": "2024-01-01T00:00:00Z",
                }
            prefix = f"/v1.0/merchants/{standin.merchant_code}/payments/"
            if method == "POST" and path.startswith(prefix) and path.endswith("/refunds"):
                transaction_id = path[len(prefix) : -len("/refunds")]
                return standin.sumup_refund(
                    transaction_id, json.loads(body or b"{}", parse_float=Decimal)
                )
            if method == "GET" and path == f"/v2.1/merchants/{standin.merchant_code}/transactions":
                transaction = standin.transactions.get(query.get("id", [""])[0])
                if transaction is None:
                    return 404, {"error_code": "NOT_FOUND", "message": "Resource not found"}
                return 200, transaction
        return 404, {"error_code": "NOT_FOUND", "message": "Resource not found"}

    def _stripe(self, method: str, url: Any, body: bytes, key: str) -> tuple[int, Any]:
        standin = self.standin
        if key != f"Bearer {standin.stripe_key}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
        idempotency = self.headers.get("Idempotency-Key")
        with standin.lock:
            if method == "POST" and idempotency and idempotency in standin.replays:
                status, payload = standin.replays[idempotency]
                return status, payload
            form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            query = urllib.parse.parse_qs(url.query)
            status, payload = self._stripe_route(method, url.path, form, query)
            if method == "POST" and idempotency:
                standin.replays[idempotency] = (status, _dumps(payload))
            return status, payload

    def _stripe_route(
        self, method: str, path: str, form: dict[str, str], query: dict[str, list[str]]
    ) -> tuple[int, Any]:
        standin = self.standin
        if method == "POST" and path == "/v1/checkout/sessions":
            return standin.stripe_create(form)
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session_id = path.rsplit("/", 1)[1]
            if session_id not in standin.sessions:
                return 404, {
                    "error": {"type": "invalid_request_error", "message": "No such session"}
                }
            expand = "payment_intent" in query.get("expand[0]", [])
            return 200, standin.stripe_session(session_id, expand)
        if method == "POST" and path == "/v1/refunds":
            return standin.stripe_refund(form)
        if method == "GET" and path.startswith("/v1/refunds/"):
            refund = standin.refunds.get(path.rsplit("/", 1)[1])
            return (200, refund) if refund else (404, {"error": {"type": "invalid_request_error"}})
        if method == "GET" and path == "/v1/account":
            return 200, {"id": "acct_standin", "object": "account", "country": "FR"}
        return 404, {"error": {"type": "invalid_request_error", "message": "Unrecognized URL"}}

    # --- The hosted pages (what the payer sees at the provider) ---------------------------

    def _hosted(self, method: str, path: str) -> None:
        standin = self.standin
        is_stripe = path.startswith("/stripe/")
        checkout_id = path.rstrip("/").rsplit("/", 1)[1]
        record = (standin.sessions if is_stripe else standin.checkouts).get(checkout_id)
        if record is None:
            return self._answer(404, b"no such checkout", "text/plain")
        name = "Stripe" if is_stripe else "SumUp"
        if method == "GET":
            amount = (
                f"{record['amount_total'] / 100:.2f} {record['currency'].upper()}"
                if is_stripe
                else f"{record['amount']} {record['currency']}"
            )
            page = (
                f"<!doctype html><title>{name} stand-in</title>"
                f"<p class=standin>LOCAL {name.upper()} STAND-IN — tests only, no money.</p>"
                f"<p id=amount>{html.escape(amount)}</p>"
                f"<form method=post><button type=submit>Pay {html.escape(amount)}</button></form>"
            )
            return self._answer(200, page.encode(), "text/html; charset=utf-8")
        if is_stripe:
            standin.stripe_pay(checkout_id)
            back = record["success_url"]
        else:
            standin.sumup_pay(checkout_id)
            back = record["redirect_url"]
        self._post_webhook("stripe" if is_stripe else "sumup", checkout_id)
        self.send_response(303)
        self.send_header("Location", back)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _post_webhook(self, provider: str, checkout_id: str) -> None:
        target = self.standin.webhooks.get(provider)
        if target is None:
            return
        url, secret = target
        if provider == "stripe":
            body, headers = self.standin.stripe_event(checkout_id, secret=secret)
        else:
            body, headers = self.standin.sumup_event(checkout_id, secret=secret)
        request = urllib.request.Request(
            url, data=body, headers={**headers, "Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


def start_standin() -> tuple[StandIn, ThreadingHTTPServer]:
    standin = StandIn()
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    standin.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return standin, server
