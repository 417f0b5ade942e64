"""API posting benchmark: charges over HTTP through gunicorn against the raw SQL of the same work.

Eight client processes (tills, one API key each, as Settings → API intends) post charges to
`POST /api/v1/charges` on a gunicorn server (SERVER_WORKERS sync workers) started with
production settings (DEBUG off, a real SECRET_KEY, behind-a-proxy HTTPS settings: the clients
send `X-Forwarded-Proto: https` as the proxy would) on PostgreSQL, whose tables already hold a
few charges per account (`_history`). Each request is a new connection (gunicorn's sync
workers close after each response) with its own Idempotency-Key, a VAT amount and a reference.
The same
number of processes then post the same charges as raw psycopg transactions. Prints, per side,
charges/s, the latency of one charge as its client sees it (p50, p99), the CPU each charge costs
the client and, for the API, the server's workers; the ratio API/raw (target: at least 0.35)
and the p99 of the API (target: under 50 ms); `ledger.checks.check_ledger` on every shop, and
the rows written per charge on each side, which must be the same.

Two raw figures, both raw psycopg connected as Django connects (server-side binding and
prepared statements, or the options DATABASE_URL gives: config/database.py), sending statement
texts captured from the code (the bench stops if the code sends another statement, one fewer or
one more, or moves one in or out of the transaction, as bench/posting.py does):

- "the API's statements": what one API charge sends, captured in-process from a request through
  Django's whole handler (middleware, django-ninja, the view) under `execute_wrapper`: the
  key's token bucket (one UPDATE, autocommit), the account lookup (autocommit), then in one
  transaction the API's idempotency claim, the ledger's charge (claim, guarded UPDATE, entry,
  postings, charge, audit event, settling the claim; the guarded UPDATE returns the balance the
  response shows), then the stored response with the call's audit event (one statement). The
  target ratio is against this one: the same SQL, so the ratio is the cost of HTTP, gunicorn,
  Django, django-ninja and the service code around them.
- "the ledger's statements": only the ledger's charge transaction (as bench/posting.py replays
  it), with no rate limit, no API idempotency record and no audit of the call: what the postings
  alone cost the database; printed for comparison.

Two measures of latency. The rounds above are a closed loop: each till sends its next charge as
soon as the last one is answered, so the server is saturated and the mean latency is
clients / rate whatever the code does (8 tills at 200 charges/s wait 40 ms on average). Then an
open loop: the tills together send charges at a fixed rate, TARGET_RATIO times the raw side's
rate (the throughput the ratio target asks for), with random (Poisson) arrivals as customers come
to the counters; a charge's latency runs from the moment it was due to be sent, so a till that is
late because the server was slow counts that wait too (no coordinated omission). The API and the
raw statements are run at that rate, then the API alone at a quarter, a half and three quarters
of the rate it reached in the closed loop: where its p99 stays under the target.

The CPU columns: the client processes, gunicorn's workers, and the PostgreSQL server's processes
(read from /proc when the server runs on this machine, as in CI), per charge.

Parameters are built afresh for each charge as the code builds them: keys, references,
fingerprints (the request's, as `api.idempotency.fingerprint` computes it, and the ledger's),
timestamps, the ids each RETURNING gives to the next statements, and the stored response.

Workload. One shop per side, 400 customers with an account each (credit limit 100,000 €, so
that the guard runs and admits), split between the clients so that each account has one writer;
charges of 5 to 155 € with 20 % VAT; the rate limit raised so that the bucket never runs dry (its
UPDATE runs all the same). Each side runs a fixed time after a warm-up, in rounds whose order
alternates, so that a change in the load of the shared machine hits every side.

Uses a database of its own on TEST_POSTGRES_URL's server (`ardoise_bench_api`), created,
migrated and dropped at the end, and a free port on 127.0.0.1 for gunicorn.

    .venv/bin/python bench/api.py [--seconds 8] [--rounds 2] [--clients 8] [--server-workers 4]
        [--open-seconds 8] [--open-rate N]
"""

import argparse
import contextlib
import datetime as dt
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _postgres import admin, setup_django, urls
from posting import PARIS, _fingerprint, _now

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "ardoise_bench_api"
TARGET_RATIO = 0.35
TARGET_P99_MS = 50.0
# gunicorn's sync workers, as README's production command runs them. On these 2 CPUs, shared
# with the clients and PostgreSQL, 8 workers (one per till) did less: 251 charges/s and 5.0 ms
# of server CPU per charge, against 303 and 3.9 with 4, as more processes than CPUs contend.
SERVER_WORKERS = 4
OPEN_FRACTIONS = [0.25, 0.5, 0.75]  # of the API's closed-loop rate, for the open loop
CREDIT_LIMIT = 100_000_00
PATH = "/api/v1/charges"
SIDES = {
    "http": "API over HTTP (gunicorn)",
    "raw": "raw: the API's statements",
    "ledger": "raw: the ledger's statements",
}

# The statements of one API charge, in order: (role, a fragment of its text, in the transaction).
API_ROLES = [
    ("take_token", "UPDATE api_key SET tokens", False),
    ("account", 'FROM "ledger_account" WHERE shop_id', False),
    ("request_claim", "INSERT INTO api_request", True),
    ("claim", "INSERT INTO ledger_idempotency", True),
    ("move", "UPDATE ledger_account SET balance", True),
    ("entry", 'INSERT INTO "ledger_journal_entry"', True),
    ("postings", "INSERT INTO ledger_posting (", True),
    ("document", 'INSERT INTO "ledger_charge"', True),
    ("audit", 'INSERT INTO "audit_event"', True),
    ("settle", "UPDATE ledger_idempotency SET result_id", True),
    ("call", "WITH before AS (UPDATE api_request SET status_code", True),
]
LEDGER_ROLES = ["claim", "move", "entry", "postings", "document", "audit", "settle"]

Statements = dict[str, str]


@dataclass
class Shop:
    id: int
    keys: list[tuple[int, str, str]]  # (key id, name, secret) per client
    accounts: list[tuple[int, int]]  # (account id, customer id)


def _total(number: int) -> int:
    return 5_00 + (number * 7919) % 150_00


def _text(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02}"


def _body(customer_id: int, number: int, reference: str) -> dict[str, Any]:
    total = _total(number)
    return {
        "customer_id": customer_id,
        "amount": _text(total),
        "vat_amount": _text(total // 6),
        "currency": "EUR",
        "reference": reference,
    }


# --- Fixture, capture, server (parent process) -------------------------------------------------


def build(customers: int, clients: int) -> dict[str, Shop]:
    admin(DATABASE, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(DATABASE, f"CREATE DATABASE {DATABASE}")
    _, url = urls(DATABASE)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,testserver")
    setup_django(url, debug=False)
    from django.core.management import call_command
    from django.db import connection

    from ardoise.api.keys import SCOPES, create_api_key
    from ardoise.shops.models import Membership, User
    from ardoise.shops.services import create_shop

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench-api@example.com", None)
    shops = {}
    for side in [*SIDES, "capture"]:
        shop = create_shop(name=f"Bench {side}", slug=f"bench-{side}", owner=owner)
        membership = Membership.objects.get(shop=shop, user=owner)
        keys = []
        for number in range(clients):
            created = create_api_key(
                membership=membership,
                name=f"Till {number + 1}",
                scopes=[scope.value for scope in SCOPES],
            )
            keys.append((created.key.pk, created.key.name, created.secret))
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer (shop_id, name, company, email, phone, address, "
                "postal_code, city, country, language, reference, notes, is_archived, created_at, "
                "search_text, allow_several_orders, portal_session_version) "
                "SELECT %s, 'Client ' || g, '', '', '', '', '', '', 'FR', 'fr', '', '', false, "
                "now(), 'client ' || g, false, 1 FROM generate_series(1, %s) g",
                [shop.pk, customers],
            )
            cursor.execute(
                "INSERT INTO ledger_account (shop_id, customer_id, currency, balance, debt, "
                "deposit, reserved, version, credit_limit, opened_at) "
                "SELECT shop_id, id, 'EUR', 0, 0, 0, 0, 0, %s, now() FROM customers_customer "
                "WHERE shop_id = %s ORDER BY id",
                [CREDIT_LIMIT, shop.pk],
            )
            cursor.execute(
                "SELECT id, customer_id FROM ledger_account WHERE shop_id = %s ORDER BY id",
                [shop.pk],
            )
            accounts = [(row[0], row[1]) for row in cursor.fetchall()]
        shops[side] = Shop(id=shop.pk, keys=keys, accounts=accounts)
        _history(shop.pk, accounts, [key_id for key_id, _, _ in keys])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return shops


HISTORY = 3  # charges per account posted before the bench, as in a shop that has been open


def _history(shop_id: int, accounts: list[tuple[int, int]], key_ids: list[int]) -> None:
    """Charges from before the bench, through the ledger, so that the tables the charges write
    are not empty when the server's connections first plan their statements. On empty tables
    PostgreSQL plans the foreign-key checks (cached for a connection's life, up to
    CONN_MAX_AGE) and the prepared statements as sequential scans, which then read every row
    the bench writes: measured, the API's database CPU per charge went from 1.9 to 7.5 ms after
    30 s, until the connections were renewed. The keys' past requests too (`api_request`)."""
    from ardoise.api.models import ApiRequest
    from ardoise.ledger import services as ledger
    from ardoise.ledger.models import Account

    ApiRequest.objects.bulk_create(
        ApiRequest(
            shop_id=shop_id,
            api_key_id=key_ids[number % len(key_ids)],
            idempotency_key=f"history-{number}",
            fingerprint="0" * 64,
            status_code=201,
            response="{}",
        )
        for number in range(HISTORY * len(accounts))
    )
    for account in Account.objects.filter(pk__in=[pk for pk, _ in accounts]):
        for number in range(HISTORY):
            ledger.post_charge(
                account=account,
                total=_total(number),
                vat_amount=_total(number) // 6,
                reference=f"H-{account.pk}-{number}",
                idempotency_key=f"history-{account.pk}-{number}",
                actor=None,
            )


def capture(shop: Shop) -> Statements:
    """One charge through Django's whole handler, in this process: the statements it sends."""
    from django.db import connection
    from django.test import Client

    _, _, secret = shop.keys[0]
    client = Client(headers={"Authorization": f"Bearer {secret}", "X-Forwarded-Proto": "https"})
    sent: list[tuple[bool, str]] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((connection.in_atomic_block, sql))
        return execute(sql, params, many, context)

    customer_id = shop.accounts[0][1]
    for number, key in enumerate(["capture-warm-up", "capture"]):
        body = json.dumps(_body(customer_id, number, f"C-{number}"))
        sent.clear()
        with connection.execute_wrapper(record):
            response = client.post(
                PATH, body, content_type="application/json", headers={"Idempotency-Key": key}
            )
        if response.status_code != 201:
            raise SystemExit(f"the capture's charge answered {response.status_code}: {response}")
    if len(sent) != len(API_ROLES) or not all(
        fragment in sql and atomic == in_transaction
        for (atomic, sql), (_, fragment, in_transaction) in zip(sent, API_ROLES, strict=False)
    ):
        listing = "\n".join(f"  {'T' if atomic else ' '} {sql[:110]}" for atomic, sql in sent)
        raise SystemExit(
            f"an API charge now sends other statements than the {len(API_ROLES)} the raw replay "
            f"knows ({', '.join(role for role, _, _ in API_ROLES)}); update bench/api.py "
            f"(T: in the transaction):\n{listing}"
        )
    return {role: sql for (role, _, _), (_, sql) in zip(API_ROLES, sent, strict=True)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_environment(url: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "ARDOISE_", "DEBUG", "API_"))
    }
    return {
        **environment,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "ARDOISE_TESTING": "0",
        "SECRET_KEY": hashlib.sha256(os.urandom(32)).hexdigest(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "BEHIND_HTTPS_PROXY": "1",
        "SITE_URL": "https://127.0.0.1",
        # The bucket never runs dry (8 tills posting flat out), but its UPDATE runs as ever.
        "API_RATE_BURST": "100000000",
        "API_RATE_PER_MINUTE": "100000000",
        "LOG_LEVEL": "WARNING",
    }


class Server:
    """gunicorn on 127.0.0.1:port with the sync workers and production settings."""

    def __init__(self, url: str, workers: int, worker_class: str) -> None:
        self.port = free_port()
        command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            "--log-level=warning",
        ]
        if worker_class == "gthread":
            command.append("--threads=2")
        log, self.log = tempfile.mkstemp(prefix="bench-api-gunicorn-", suffix=".log")
        try:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=production_environment(url),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(log)
        self.workers = workers
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn stopped:\n{self.output()}")
            with contextlib.suppress(OSError):
                status, _ = request(self.port, "GET", "/api/v1/customers", None, {})
                if status == 401 and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within 120 s:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(pid) for pid in path.read_text().split()]
        return []

    def cpu_seconds(self) -> float:
        """User and system CPU of the workers so far (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / ticks

    def output(self) -> str:
        return Path(self.log).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        Path(self.log).unlink(missing_ok=True)


def request(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.1", **headers}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- The clients (one process each) ------------------------------------------------------------


@dataclass
class Counts:
    charges: int = 0
    latencies: list[float] = field(default_factory=list)


class HttpTill:
    def __init__(self, name: str, shop: Shop, index: int, clients: int, port: int) -> None:
        self.name, self.port = name, port
        _, _, secret = shop.keys[index]
        self.authorization = f"Bearer {secret}"
        self.customers = [customer for _, customer in shop.accounts[index::clients]]
        self.number = 0

    def charge(self, counts: Counts, due: float | None = None) -> None:
        number, self.number = self.number, self.number + 1
        key = f"{self.name}-{number}"
        body = _body(self.customers[number % len(self.customers)], number, f"T-{key}")
        started = time.perf_counter() if due is None else due
        status, answer = request(
            self.port,
            "POST",
            PATH,
            json.dumps(body).encode(),
            {
                "Authorization": self.authorization,
                "Idempotency-Key": key,
                "Content-Type": "application/json",
            },
        )
        counts.latencies.append(time.perf_counter() - started)
        if status != 201:
            raise RuntimeError(f"a charge answered {status}: {answer[:300]!r}")
        counts.charges += 1


class RawTill:
    """The same charges as raw psycopg transactions with the captured statements."""

    def __init__(
        self,
        name: str,
        shop: Shop,
        index: int,
        clients: int,
        *,
        url: str,
        statements: Statements,
        ledger_only: bool,
        binding: dict[str, Any],
    ) -> None:
        import psycopg

        # As Django's PostgreSQL backend (config/database.py): its binding and prepare threshold,
        # autocommit outside `atomic`.
        self.connection = psycopg.connect(
            url,
            autocommit=True,
            prepare_threshold=binding["prepare_threshold"],
            cursor_factory=psycopg.Cursor if binding["server_side"] else psycopg.ClientCursor,
        )
        self.name, self.shop_id, self.sql, self.ledger_only = name, shop.id, statements, ledger_only
        self.key_id, self.key_name, secret = shop.keys[index]
        self.secret_hash = hashlib.sha256(secret.encode()).hexdigest()
        self.accounts = shop.accounts[index::clients]
        self.number = 0

    def charge(self, counts: Counts, due: float | None = None) -> None:
        number, self.number = self.number, self.number + 1
        key = f"{self.name}-{number}"
        account_id, customer_id = self.accounts[number % len(self.accounts)]
        body = _body(customer_id, number, f"T-{key}")
        started = time.perf_counter() if due is None else due
        if self.ledger_only:
            with self.connection.transaction():
                self._post(account_id, body, key)
        else:
            self._api_charge(account_id, customer_id, body, key)
        counts.latencies.append(time.perf_counter() - started)
        counts.charges += 1

    def _execute(self, role: str, params: Any) -> Any:
        return self.connection.execute(self.sql[role], params)

    def _returning(self, role: str, params: Any) -> Any:
        return self._execute(role, params).fetchone()

    def _api_charge(
        self, account_id: int, customer_id: int, body: dict[str, Any], key: str
    ) -> None:
        from psycopg.types.json import Jsonb

        now = time.time()
        refill = [100_000_000.0, now, 100_000_000 / 60.0]
        token = self._returning("take_token", [*refill, now, _now(), self.secret_hash, *refill])
        if token is None:
            raise SystemExit("the raw side's key was refused")
        if self._returning("account", (self.shop_id, customer_id)) is None:
            raise SystemExit(f"no account for customer {customer_id}")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(f"POST\n{PATH}\n{canonical}".encode()).hexdigest()
        with self.connection.transaction():
            (request_id,) = self._returning(
                "request_claim", [self.shop_id, self.key_id, key, digest, _now()]
            )
            charge_id, charge = self._post(account_id, body, f"api:{self.key_id}:{key}")
            data = {
                "api_key": self.key_name,
                "api_key_id": self.key_id,
                "method": "POST",
                "path": PATH,
                "status": 201,
            }
            stored = (201, json.dumps(charge), request_id)
            event = (self.shop_id, None, "api.call", "ledger.charge", charge_id, Jsonb(data))
            self._returning("call", (*stored, *event, _now()))

    def _post(self, account_id: int, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        """`ledger.post_charge` on an account without prepaid money: nothing to allocate."""
        from psycopg.types.json import Jsonb

        total = int(body["amount"].replace(".", ""))
        vat = int(body["vat_amount"].replace(".", ""))
        reference = body["reference"]
        when = dt.datetime.now(dt.UTC)
        params = {
            "account": account_id,
            "total": total,
            "vat": vat,
            "kind": "invoice",
            "reference": reference,
            "earmark": "",
        }
        (claim_id,) = self._returning(
            "claim",
            [self.shop_id, key, "post_charge", _fingerprint("post_charge", params), _now()],
        )
        moved = self._returning("move", [-total, total, 0, account_id, -total])
        if moved is None:
            raise SystemExit("a raw charge was refused by the limit: not the workload")
        if moved[3] != 0:
            raise SystemExit("a raw charge met an unapplied credit: not the shape captured")
        (entry_id,) = self._returning(
            "entry", (self.shop_id, "sale", when, _now(), reference, "", None, None, None)
        )
        lines = [(account_id, "", -total, *moved[:2]), (None, "sales", total - vat, None, None)]
        lines.append((None, "vat", vat, None, None))
        postings = [value for line in lines for value in (self.shop_id, entry_id, *line, when)]
        self._execute("postings", postings)
        issued_on = when.astimezone(PARIS).date()
        (charge_id,) = self._returning(
            "document",
            (self.shop_id, account_id, entry_id, "invoice", reference, "", "", issued_on, None,
             total - vat, vat, total, total, 0, 0, "open", _now()),
        )  # fmt: skip
        data = Jsonb({"total": total, "balance_after": moved[0]})
        action = ("ledger.charge.posted", "ledger.charge", charge_id)
        self._returning("audit", (self.shop_id, None, *action, data, _now()))
        self._execute("settle", (charge_id, claim_id))
        charge = {
            "id": charge_id,
            "customer_id": body["customer_id"],
            "kind": "invoice",
            "status": "open",
            "reference": reference,
            "issued_on": issued_on.isoformat(),
            "due_on": None,
            "currency": "EUR",
            "total": body["amount"],
            "vat_amount": body["vat_amount"],
            "open_amount": body["amount"],
            "balance_after": _text(moved[0]),
        }
        return charge_id, charge


WARM_UP_CHARGES = 15


def _client(
    side: str,
    index: int,
    label: str,
    shop: Shop,
    clients: int,
    seconds: float,
    settings: dict[str, Any],
    barrier: Any,
    results: Any,
) -> None:
    try:
        name = f"{label}c{index}"
        till: HttpTill | RawTill
        if side == "http":
            till = HttpTill(name, shop, index, clients, settings["port"])
        else:
            till = RawTill(
                name,
                shop,
                index,
                clients,
                url=settings["url"],
                statements=settings["statements"],
                ledger_only=side == "ledger",
                binding=settings["binding"],
            )
        warm_up = Counts()
        for _ in range(WARM_UP_CHARGES):
            till.charge(warm_up)
        barrier.wait(timeout=300)
        counts = Counts()
        started, cpu = time.monotonic(), time.process_time()
        rate = settings.get("rate")
        if rate is None:
            while time.monotonic() < started + seconds:
                till.charge(counts)
        else:
            _open_loop(till, counts, rate / clients, seconds, seed=index)
        results.put(
            {
                "charges": counts.charges,
                "warm_up": warm_up.charges,
                "latencies": counts.latencies,
                "span": (started, time.monotonic()),
                "cpu": time.process_time() - cpu,
            }
        )
    except BaseException as error:
        barrier.abort()
        results.put({"error": f"{side} client {index}: {error!r}"})
        raise


def _open_loop(
    till: "HttpTill | RawTill", counts: Counts, rate: float, seconds: float, seed: int
) -> None:
    """Charges due at random (Poisson) moments, `rate` a second on average, for `seconds`; each
    is sent when due, or at once when the till is late, and timed from when it was due."""
    arrivals = random.Random(seed)
    start = time.perf_counter()
    due = start + arrivals.expovariate(rate)
    while due < start + seconds:
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        till.charge(counts, due=due)
        due += arrivals.expovariate(rate)


def database_cpu_seconds() -> float | None:
    """CPU of the PostgreSQL server so far, when it runs on this machine: user and system time of
    its live processes, and of the backends that have ended (the postmaster's reaped children),
    for every database of the server: read it on a machine where only the bench uses it."""
    ticks, total, found = os.sysconf("SC_CLK_TCK"), 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            name, rest = stat.read_text().split("(", 1)[1].rsplit(")", 1)
            if name not in {"postgres", "postmaster"}:
                continue
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
            if _is_postmaster(stat.parent):
                total += int(fields[13]) + int(fields[14])  # children waited for
            found = True
    return total / ticks if found else None


def _is_postmaster(process: Path) -> bool:
    """The server's first process: its parent is not a postgres process."""
    parent = (process / "stat").read_text().rsplit(")", 1)[1].split()[1]
    with contextlib.suppress(OSError):
        return "postgres" not in Path(f"/proc/{parent}/comm").read_text()
    return True


def run(
    side: str,
    label: str,
    shop: Shop,
    clients: int,
    seconds: float,
    settings: dict[str, Any],
    server: Server | None,
) -> dict[str, Any]:
    from django.db import connections

    connections.close_all()  # each forked client opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_client,
            args=(side, index, label, shop, clients, seconds, settings, barrier, results),
        )
        for index in range(clients)
    ]
    for process in processes:
        process.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=300)
    server_cpu = server.cpu_seconds() if server else 0.0
    database_cpu = database_cpu_seconds()
    reports = [results.get(timeout=seconds + 300) for _ in processes]
    server_cpu = (server.cpu_seconds() - server_cpu) if server else 0.0
    database_after = database_cpu_seconds()
    if database_cpu is not None and database_after is not None:
        database_cpu = database_after - database_cpu
    for process in processes:
        process.join()
    errors = [report["error"] for report in reports if "error" in report]
    if errors:
        detail = f"\ngunicorn's log:\n{server.output()}" if server else ""
        raise SystemExit("\n".join(errors) + detail)
    return {
        "charges": sum(report["charges"] for report in reports),
        "warm_up": sum(report["warm_up"] for report in reports),
        "latencies": [value for report in reports for value in report["latencies"]],
        "seconds": max(r["span"][1] for r in reports) - min(r["span"][0] for r in reports),
        "cpu": sum(report["cpu"] for report in reports),
        "server_cpu": server_cpu,
        "database_cpu": database_cpu,
    }


# --- Checks and summary ------------------------------------------------------------------------

TABLES = [
    "api_request",
    "ledger_idempotency",
    "ledger_journal_entry",
    "ledger_posting",
    "ledger_charge",
    "ledger_allocation",
    "audit_event",
]


def rows_written(shop_id: int) -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            ours = " AND (action LIKE 'ledger.%%' OR action = 'api.call')"
            ours = ours if table == "audit_event" else ""
            cursor.execute(f"SELECT count(*) FROM {table} WHERE shop_id = %s{ours}", [shop_id])
            counts[table] = cursor.fetchone()[0]
    return counts


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8, help="per side and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument(
        "--server-workers",
        type=int,
        default=SERVER_WORKERS,
        help="gunicorn workers (README's production command)",
    )
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--open-seconds", type=float, default=8, help="per open-loop line")
    parser.add_argument(
        "--open-rate", type=float, default=None, help="charges/s (TARGET_RATIO x raw's rate)"
    )
    options = parser.parse_args()
    started, load = time.perf_counter(), os.getloadavg()[0]
    server = None
    try:
        shops = build(options.customers, options.clients)
        history = {side: rows_written(shops[side].id) for side in SIDES}
        statements = capture(shops["capture"])
        _, url = urls(DATABASE)
        from django.db import connection, connections

        database_options = connection.settings_dict["OPTIONS"]
        binding = {
            "server_side": database_options.get("server_side_binding", False),
            "prepare_threshold": database_options.get("prepare_threshold", 5),
        }
        connections.close_all()
        server = Server(url, options.server_workers, options.worker_class)
        settings = {"port": server.port, "url": url, "statements": statements, "binding": binding}

        def measure(side: str, label: str, seconds: float, rate: float | None) -> dict[str, Any]:
            return run(
                side,
                label,
                shops[side],
                options.clients,
                seconds,
                {**settings, "rate": rate},
                server if side == "http" else None,
            )

        rounds: list[dict[str, dict[str, Any]]] = []
        for number in range(options.rounds):
            order = list(SIDES) if number % 2 == 0 else list(reversed(SIDES))
            rounds.append({})
            for side in order:
                rounds[-1][side] = measure(side, f"r{number}{side}", options.seconds, None)
        raw_rate = sum(r["raw"]["charges"] for r in rounds) / sum(
            r["raw"]["seconds"] for r in rounds
        )
        http_rate = sum(r["http"]["charges"] for r in rounds) / sum(
            r["http"]["seconds"] for r in rounds
        )
        options.open_rate = options.open_rate or round(TARGET_RATIO * raw_rate)
        # The target's rate on both sides, then the API at fractions of the rate it reached
        # closed: where its p99 stays under the target.
        plan = [("raw", options.open_rate), ("http", options.open_rate)]
        plan += [("http", round(fraction * http_rate)) for fraction in OPEN_FRACTIONS]
        open_loop = [
            (side, rate, measure(side, f"o{number}{side}", options.open_seconds, rate))
            for number, (side, rate) in enumerate(plan)
        ]
        from ardoise.ledger.checks import check_ledger

        reports = {side: check_ledger(shops[side].id) for side in SIDES}
        rows = {
            side: {
                table: count - history[side][table]
                for table, count in rows_written(shops[side].id).items()
            }
            for side in SIDES
        }
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (version,) = cursor.fetchone()
    finally:
        if server is not None:
            server.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        admin(DATABASE, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    options.binding = binding
    _summary(options, rounds, open_loop, reports, rows, version.split()[0], load)
    print(f"total run time {time.perf_counter() - started:.0f} s")


def _line(label: str, results: list[dict[str, Any]], http: bool) -> tuple[float, float]:
    """Print one side's line; return its rate and p99 (ms)."""
    charges = sum(result["charges"] for result in results)
    seconds = sum(result["seconds"] for result in results)
    latencies = [value for result in results for value in result["latencies"]]
    per_charge = {
        name: (
            None
            if any(result[name] is None for result in results)
            else sum(result[name] for result in results) * 1000 / charges
        )
        for name in ["cpu", "server_cpu", "database_cpu"]
    }
    if not http:
        per_charge["server_cpu"] = None
    rate, p99 = charges / seconds, _percentile(latencies, 0.99) * 1000
    cpu = " ".join(
        f"{value:>8.2f} ms" if value is not None else f"{'':>11}" for value in per_charge.values()
    )
    print(
        f"{label:30} {charges:>8,} {seconds:>8.1f} {rate:>10.0f} "
        f"{_percentile(latencies, 0.5) * 1000:>7.1f} {p99:>7.1f} {cpu}"
    )
    return rate, p99


def _summary(
    options: argparse.Namespace,
    rounds: list[dict[str, dict[str, Any]]],
    open_loop: list[tuple[str, int, dict[str, Any]]],
    reports: dict[str, Any],
    rows: dict[str, dict[str, int]],
    version: str,
    load: float,
) -> None:
    binding = options.binding
    print(
        f"api: {options.clients} client processes per side (one API key each), gunicorn "
        f"{options.server_workers} {options.worker_class} workers"
        f"{' of 2 threads' if options.worker_class == 'gthread' else ''} with production settings, "
        f"{options.customers} accounts, PostgreSQL {version} "
        f"({'server' if binding['server_side'] else 'client'}-side binding, prepare threshold "
        f"{binding['prepare_threshold']}), {os.cpu_count()} CPUs shared by the clients, the "
        f"server and the database"
    )
    print(f"load average (1 min) before the bench: {load:.1f}")
    header = (
        f"{'':30} {'charges':>8} {'seconds':>8} {'charges/s':>10} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU/charge: client':>19} {'server':>11} {'database':>11}"
    )
    print(
        f"closed loop: each till sends its next charge when answered, "
        f"{options.rounds} x {options.seconds:g} s per side"
    )
    print(header)
    rates, p99 = {}, {}
    for side, label in SIDES.items():
        rates[side], p99[side] = _line(label, [r[side] for r in rounds], side == "http")
    per_round = "; ".join(
        f"{side} " + ", ".join(f"{_rate(result[side]):.0f}" for result in rounds) for side in SIDES
    )
    per_round += "; API server CPU/charge " + ", ".join(
        f"{r['http']['server_cpu'] * 1000 / r['http']['charges']:.1f}" for r in rounds
    )
    per_round += "; database CPU/charge " + ", ".join(
        f"{r['http']['database_cpu'] * 1000 / r['http']['charges']:.1f}"
        for r in rounds
        if r["http"]["database_cpu"] is not None
    )
    print(f"charges/s in each round (in the order run): {per_round}")
    ratio = rates["http"] / rates["raw"]
    each = ", ".join(f"{_rate(result['http']) / _rate(result['raw']):.2f}" for result in rounds)
    print(
        f"API/raw (the API's statements): {ratio:.2f} (rounds: {each}); target >= "
        f"{TARGET_RATIO}: {'OK' if ratio >= TARGET_RATIO else 'MISSED'}"
    )
    print(f"API/raw (the ledger's statements only): {rates['http'] / rates['ledger']:.2f}")
    print(
        f"API p99, closed loop: {p99['http']:.1f} ms; target < {TARGET_P99_MS:g} ms: "
        f"{'OK' if p99['http'] < TARGET_P99_MS else 'MISSED'} (the mean latency of a closed "
        f"loop is {options.clients} / rate: {options.clients / rates['http'] * 1000:.0f} ms here)"
    )
    print(
        f"open loop: the tills together send charges at a fixed rate, Poisson arrivals, "
        f"{options.open_seconds:g} s per line; latency from when each charge was due. First "
        f"{TARGET_RATIO} x raw's closed-loop rate (--open-rate), then fractions of the API's"
    )
    print(header.replace(f"{'':30}", f"{'':22}{'rate':>8}", 1))
    for side, rate, result in open_loop:
        label = "API over HTTP" if side == "http" else "raw: the API's"
        _, p99_reached = _line(f"{label:22}{rate:>8}", [result], side == "http")
        if side == "http":
            # the last charge due was answered within a second of the end
            kept_up = result["seconds"] <= options.open_seconds + 1
            verdict = "OK" if p99_reached < TARGET_P99_MS and kept_up else "MISSED"
            late = "" if kept_up else ", did not keep up"
            print(f"{'':30} p99 < {TARGET_P99_MS:g} ms at {rate} charges/s: {verdict}{late}")
    print(f"{'rows per charge':32} {'API':>7} {'raw':>7} {'ledger':>7}")
    posted = {
        side: sum(result[side]["charges"] + result[side]["warm_up"] for result in rounds)
        + sum(result["charges"] + result["warm_up"] for on, _, result in open_loop if on == side)
        for side in SIDES
    }
    for table in TABLES:
        figures = " ".join(f"{rows[side][table] / posted[side]:>7.3f}" for side in SIDES)
        print(f"  {table:30} {figures}")
    for side in SIDES:
        print(f"ledger_check, {side} shop: {reports[side].summary()}")
        for problem in reports[side].problems[:10]:
            print(f"  - {problem}")


def _rate(result: dict[str, Any]) -> float:
    return float(result["charges"] / result["seconds"])


if __name__ == "__main__":
    main()
