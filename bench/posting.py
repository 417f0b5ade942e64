"""Posting benchmark: charges and payments through the ledger services against raw psycopg.

Eight worker processes per side (processes, so that the GIL does not decide) post on PostgreSQL,
through `ledger.services` (`post_charge`, then `record_payment` of the same amount, each with its
own idempotency key), and as raw psycopg transactions sending the same statements. Prints
operations/s and postings/s for both, the client CPU per operation, and the ratio services/raw
(target: at least 0.5); then runs `ledger.checks.check_ledger` on both shops and prints the rows
each side wrote per posted operation, which must be the same.

Workload. One shop per side, 400 customers with an account each (credit limits of 200 to 500 €),
split between the workers so that each account has one writer (no lock waits between workers).
A worker loops over its accounts: a charge (VAT 20 %) then a payment that settles it (cash,
cheque, card, transfer in turn); every tenth charge asks for more than the limit, is refused by
the guarded UPDATE and is not paid. Every call, refused or not, is an operation; a charge writes
three postings, a payment two. Each side runs for a fixed time after three warm-up cycles per
worker, in rounds whose order alternates (services, raw, raw, services...) so that a change in
the load of the shared machine hits both sides.

How the raw side was derived. Before the runs, one charge and one payment go through the services
under `connection.execute_wrapper`, which records every statement Django sends. The texts are
kept as they are: each is matched, in order, to its role in CHARGE_ROLES or PAYMENT_ROLES, and the
bench stops if the services send another statement, or one fewer or one more. The raw workers
send exactly those texts in the same order, on a psycopg connection made as Django makes its own
(server-side binding and prepared statements by default: config/database.py), in autocommit but
for one transaction around the business
event, where the service opens `transaction.atomic`: the idempotency claim, the guarded UPDATE
of the account (which returns its Debt and Deposit), the journal entry, the postings (one
multi-row insert), the charge or credit; for a payment only (a charge meets no deposit, so it
has nothing to allocate), the shop's allocation setting, the FOR UPDATE reads of unapplied
credits and open charges, the allocation with the charge, credit and account updates; then the
audit event and the settling of the idempotency record. Parameters are built afresh for each
operation: keys, references, the request fingerprint (sha256, as `idempotency.fingerprint`
computes it), timestamps, and the ids each RETURNING gives to the next statements; the
allocation is computed from the rows the FOR UPDATE reads return, oldest charge
first. Nothing is skipped but Python: the ORM, model instances, validation and the service code
around the statements. The captured shapes cover this workload (a charge meets no unapplied
credit, a payment settles one charge); the raw side checks that and stops otherwise.

Uses a database of its own on TEST_POSTGRES_URL's server (`ardoise_bench_posting`), created,
migrated and dropped at the end. Runs with DEBUG off, so that Django does not keep every query.

    .venv/bin/python bench/posting.py [--seconds 6] [--rounds 2] [--workers 8] [--customers 400]
"""

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import sys
import threading
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _postgres import admin, setup_django, urls

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "ardoise_bench_posting"
TARGET = 0.5
MODES = ["cash", "cheque", "card", "transfer"]
LIMITS = [20_000, 30_000, 40_000, 50_000]  # minor units, by account in turn
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# The statements of one operation, in order, each known by a fragment of its text.
# A charge on an account with no deposit has nothing to allocate: the balance UPDATE returns the
# account's Debt and Deposit, and the service skips the shop read and the allocation.
CHARGE_ROLES = [
    ("claim", "INSERT INTO ledger_idempotency"),
    ("move", "UPDATE ledger_account SET balance"),
    ("entry", 'INSERT INTO "ledger_journal_entry"'),
    ("postings", "INSERT INTO ledger_posting ("),
    ("document", 'INSERT INTO "ledger_charge"'),
    ("audit", 'INSERT INTO "audit_event"'),
    ("settle", "UPDATE ledger_idempotency SET result_id"),
]
PAYMENT_ROLES = [
    ("claim", "INSERT INTO ledger_idempotency"),
    ("move", "UPDATE ledger_account SET balance"),
    ("entry", 'INSERT INTO "ledger_journal_entry"'),
    ("postings", "INSERT INTO ledger_posting ("),
    ("document", 'INSERT INTO "ledger_credit"'),
    ("shop", 'FROM "shops_shop"'),
    ("lock_credits", "FROM ledger_credit WHERE account_id"),
    ("lock_charges", "FROM ledger_charge WHERE account_id"),
    ("allocation", 'INSERT INTO "ledger_allocation"'),
    ("update_charge", "UPDATE ledger_charge SET"),
    ("update_credit", "UPDATE ledger_credit SET"),
    ("shift", "UPDATE ledger_account SET debt"),
    ("audit", 'INSERT INTO "audit_event"'),
    ("settle", "UPDATE ledger_idempotency SET result_id"),
]

Statements = dict[str, str]


def _charge_total(number: int, limit: int) -> int:
    """Charge `number` of a worker: every tenth asks for more than the limit allows."""
    if number % 10 == 9:
        return limit + 1_00
    return 5_00 + (number * 7919) % 150_00


def _fingerprint(operation: str, params: dict[str, Any]) -> str:
    payload = json.dumps({"operation": operation, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


# --- Fixture and capture (parent process, Django) ---------------------------------------------


def build(customers: int) -> dict[str, int]:
    """Create, migrate and fill the database: two shops and their customers' accounts."""
    admin(DATABASE, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(DATABASE, f"CREATE DATABASE {DATABASE}")
    _, url = urls(DATABASE)
    setup_django(url, debug=False)
    from django.core.management import call_command
    from django.db import connection

    from ardoise.shops.models import User
    from ardoise.shops.services import create_shop

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench-posting@example.com", None)
    shops = {}
    for side in ("services", "raw"):
        shop = create_shop(name=f"Bench {side}", slug=f"bench-{side}", owner=owner)
        shops[side] = shop.pk
        # A fixture, not ledger history: customers and empty accounts by set-based SQL.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer (shop_id, name, company, email, phone, address, "
                "postal_code, city, country, language, reference, notes, is_archived, created_at, "
                "search_text, allow_several_orders, portal_session_version) "
                "SELECT %s, 'Client ' || g, '', '', '', '', '', '', 'FR', 'fr', '', '', false, "
                "now(), 'client ' || g, false, 1 FROM generate_series(1, %s) g",
                [shop.pk, customers + 1],  # one more for the capture
            )
            cursor.execute(
                "INSERT INTO ledger_account (shop_id, customer_id, currency, balance, debt, "
                "deposit, reserved, version, credit_limit, opened_at) "
                "SELECT shop_id, id, 'EUR', 0, 0, 0, 0, 0, "
                "(ARRAY[%s, %s, %s, %s]::bigint[])[1 + (row_number() OVER (ORDER BY id)) %% 4], "
                "now() FROM customers_customer WHERE shop_id = %s ORDER BY id",
                [*LIMITS, shop.pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return shops


def capture(shop_id: int) -> tuple[Statements, Statements]:
    """Send one charge and one payment through the services; return the statements they sent."""
    from django.db import connection

    from ardoise.ledger import services as ledger
    from ardoise.ledger.models import Account

    account = Account.objects.filter(shop_id=shop_id).order_by("-id").first()
    assert account is not None
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        ledger.post_charge(
            account=account,
            total=12_00,
            vat_amount=2_00,
            idempotency_key="capture-charge",
            actor=None,
            reference="capture",
        )
    charge = _match("post_charge", sent, CHARGE_ROLES)
    sent.clear()
    with connection.execute_wrapper(record):
        ledger.record_payment(
            account=account,
            amount=12_00,
            mode="card",
            idempotency_key="capture-payment",
            actor=None,
            reference="capture",
        )
    return charge, _match("record_payment", sent, PAYMENT_ROLES)


def _match(operation: str, sent: list[str], roles: list[tuple[str, str]]) -> Statements:
    """Statement i must be role i: the raw replay sends them in this order."""
    if len(sent) != len(roles) or not all(
        fragment in statement for statement, (_, fragment) in zip(sent, roles, strict=False)
    ):
        listing = "\n".join(f"  {statement[:110]}" for statement in sent)
        raise SystemExit(
            f"{operation} now sends other statements than the {len(roles)} the raw replay knows "
            f"({', '.join(role for role, _ in roles)}); update bench/posting.py:\n{listing}"
        )
    return {role: statement for (role, _), statement in zip(roles, sent, strict=True)}


def accounts_of(shop_id: int, customers: int) -> list[tuple[int, int]]:
    from ardoise.ledger.models import Account

    rows = Account.objects.filter(shop_id=shop_id).order_by("id").values_list("id", "credit_limit")
    return [(account_id, limit) for account_id, limit in rows[:customers]]


# --- Workers (forked processes) ----------------------------------------------------------------


class Counts:
    def __init__(self) -> None:
        self.operations = 0
        self.refused = 0
        self.postings = 0
        self.charges = 0
        self.payments = 0


class Services:
    """A worker's loop through the ledger services, on its own accounts."""

    def __init__(self, name: str, accounts: list[tuple[int, int]]) -> None:
        from ardoise.ledger.models import Account

        by_id = Account.objects.in_bulk([account_id for account_id, _ in accounts])
        self.accounts = [by_id[account_id] for account_id, _ in accounts]
        self.name = name
        self.number = 0

    def cycle(self, counts: Counts) -> None:
        from ardoise.ledger import services as ledger
        from ardoise.ledger.errors import CreditLimitExceeded

        number, self.number = self.number, self.number + 1
        account = self.accounts[number % len(self.accounts)]
        total = _charge_total(number, account.credit_limit)
        key = f"{self.name}-{number}"
        counts.operations += 1
        try:
            ledger.post_charge(
                account=account,
                total=total,
                vat_amount=total // 6,
                idempotency_key=f"charge-{key}",
                actor=None,
                reference=f"FA-{key}",
            )
        except CreditLimitExceeded:
            counts.refused += 1
            return
        counts.charges += 1
        counts.postings += 3
        counts.operations += 1
        ledger.record_payment(
            account=account,
            amount=total,
            mode=MODES[number % len(MODES)],
            idempotency_key=f"payment-{key}",
            actor=None,
            reference=f"P-{key}",
        )
        counts.payments += 1
        counts.postings += 2


class Raw:
    """The same loop as `Services`, sending the captured statements with fresh parameters."""

    def __init__(
        self,
        name: str,
        accounts: list[tuple[int, int]],
        *,
        url: str,
        shop_id: int,
        statements: tuple[Statements, Statements],
    ) -> None:
        import psycopg
        from django.db import connection

        # As Django's PostgreSQL backend connects (its binding and prepare threshold), in
        # autocommit outside `atomic`: the same statements reach the server the same way.
        options = connection.settings_dict["OPTIONS"]
        self.connection = psycopg.connect(
            url,
            autocommit=True,
            prepare_threshold=options.get("prepare_threshold", 5),
            cursor_factory=(
                psycopg.Cursor if options.get("server_side_binding") else psycopg.ClientCursor
            ),
        )
        self.accounts = accounts
        self.name = name
        self.shop_id = shop_id
        self.charge_sql, self.payment_sql = statements
        self.number = 0

    def cycle(self, counts: Counts) -> None:
        number, self.number = self.number, self.number + 1
        account_id, limit = self.accounts[number % len(self.accounts)]
        total = _charge_total(number, limit)
        key = f"{self.name}-{number}"
        counts.operations += 1
        if not self.charge(account_id, total, key):
            counts.refused += 1
            return
        counts.charges += 1
        counts.postings += 3
        counts.operations += 1
        self.payment(account_id, total, MODES[number % len(MODES)], key)
        counts.payments += 1
        counts.postings += 2

    def charge(self, account_id: int, total: int, key: str) -> bool:
        import psycopg

        sql = self.charge_sql
        vat, reference = total // 6, f"FA-{key}"
        when = dt.datetime.now(dt.UTC)
        with self.connection.transaction():
            claim_id = self._claim(
                sql,
                f"charge-{key}",
                "post_charge",
                {
                    "account": account_id,
                    "total": total,
                    "vat": vat,
                    "kind": "invoice",
                    "reference": reference,
                    "earmark": "",
                },
            )
            moved = self._execute(sql["move"], [-total, total, 0, account_id, -total]).fetchone()
            if moved is None:
                raise psycopg.Rollback()
            entry_id = self._entry(sql, "sale", when, reference)
            lines = [("", -total), ("sales", total - vat), ("vat", vat)]
            self._postings(sql, entry_id, account_id, moved, lines, when)
            issued_on = when.astimezone(PARIS).date()
            charge_id = self._returning(
                sql["document"],
                (self.shop_id, account_id, entry_id, "invoice", reference, "", "", issued_on,
                 None, total - vat, vat, total, total, 0, 0, "open", _now()),
            )  # fmt: skip
            if moved[3] != 0:  # a deposit: the service would allocate
                raise SystemExit("a charge met an unapplied credit: not the shape captured")
            data = {"total": total, "balance_after": moved[0]}
            self._finish(sql, claim_id, "ledger.charge.posted", "ledger.charge", charge_id, data)
        return moved is not None

    def payment(self, account_id: int, amount: int, mode: str, key: str) -> None:
        sql = self.payment_sql
        reference = f"P-{key}"
        when = dt.datetime.now(dt.UTC)
        with self.connection.transaction():
            claim_id = self._claim(
                sql,
                f"payment-{key}",
                "record_payment",
                {
                    "account": account_id,
                    "amount": amount,
                    "mode": mode,
                    "reference": reference,
                    "earmark": "",
                },
            )
            moved = self._execute(sql["move"], [amount, 0, amount, account_id]).fetchone()
            entry_id = self._entry(sql, "payment", when, reference)
            lines = [("", amount), (f"mode:{mode}", -amount)]
            self._postings(sql, entry_id, account_id, moved, lines, when)
            received_on = when.astimezone(PARIS).date()
            credit_id = self._returning(
                sql["document"],
                (self.shop_id, account_id, entry_id, "payment", mode, reference, "", "",
                 received_on, amount, amount, None, 0, 0, "", "active", _now()),
            )  # fmt: skip
            if moved[2] == 0:  # no debt: the service would not allocate
                raise SystemExit("a payment met no open charge: not the shape captured")
            self._allocate(sql, account_id, self._shop_auto_allocate(sql))
            data = {"amount": amount, "mode": mode, "balance_after": moved[0]}
            self._finish(sql, claim_id, "ledger.payment.recorded", "ledger.credit", credit_id, data)

    # The statements, with the parameters the services give them.

    def _execute(self, statement: str, params: Any) -> Any:
        return self.connection.execute(statement, params)

    def _returning(self, statement: str, params: Any) -> int:
        return int(self._execute(statement, params).fetchone()[0])

    def _shop_auto_allocate(self, sql: Statements) -> bool:
        cursor = self._execute(sql["shop"], (self.shop_id,))
        row = cursor.fetchone()
        return bool(row[_columns(cursor)["auto_allocate"]])

    def _claim(self, sql: Statements, key: str, operation: str, params: dict[str, Any]) -> int:
        digest = _fingerprint(operation, params)
        return self._returning(sql["claim"], [self.shop_id, key, operation, digest, _now()])

    def _entry(self, sql: Statements, kind: str, when: dt.datetime, memo: str) -> int:
        params = (self.shop_id, kind, when, _now(), memo, "", None, None, None)
        return self._returning(sql["entry"], params)

    def _postings(
        self,
        sql: Statements,
        entry_id: int,
        account_id: int,
        moved: tuple[Any, ...],
        lines: list[tuple[str, int]],
        when: dt.datetime,
    ) -> None:
        others = (None, None)
        rows = [
            (account_id if n == 0 else None, counter, amount, *(moved[:2] if n == 0 else others))
            for n, (counter, amount) in enumerate(lines)
        ]
        params = [value for row in rows for value in (self.shop_id, entry_id, *row, when)]
        self._execute(sql["postings"], params)

    def _allocate(self, sql: Statements, account_id: int, automatic: bool) -> None:
        """`services.matching.apply_credits` without earmarks: oldest open charges first."""
        cursor = self._execute(sql["lock_credits"], (account_id, "active"))
        columns = _columns(cursor)
        credits = [(row[columns["id"]], row[columns["unapplied_amount"]]) for row in cursor]
        if not credits or not automatic:
            return
        cursor = self._execute(sql["lock_charges"], (account_id, "void"))
        columns = _columns(cursor)
        charges = sorted(
            (row[columns["issued_on"]], row[columns["id"]], row[columns["open_amount"]],
             row[columns["total"]])
            for row in cursor
        )  # fmt: skip
        pairs = []
        for credit_id, available in credits:
            for _, charge_id, open_amount, total in charges:
                amount = min(available, open_amount)
                if amount > 0:
                    pairs.append((credit_id, charge_id, amount, open_amount - amount, total))
                    available -= amount
        if len(pairs) != 1:
            raise SystemExit(f"{len(pairs)} allocations in one payment: not the shape captured")
        ((credit_id, charge_id, amount, left, total),) = pairs
        status = "paid" if left == 0 else "open" if left == total else "partially_paid"
        self._returning(
            sql["allocation"], (self.shop_id, credit_id, charge_id, amount, None, _now())
        )
        self._execute(sql["update_charge"], (left, status, charge_id))
        self._execute(sql["update_credit"], (credits[0][1] - amount, credit_id))
        self._execute(sql["shift"], [-amount, -amount, account_id])

    def _finish(
        self,
        sql: Statements,
        claim_id: int,
        action: str,
        target: str,
        target_id: int,
        data: dict[str, Any],
    ) -> None:
        from psycopg.types.json import Jsonb

        params = (self.shop_id, None, action, target, target_id, Jsonb(data), _now())
        self._returning(sql["audit"], params)
        self._execute(sql["settle"], (target_id, claim_id))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _columns(cursor: Any) -> dict[str, int]:
    return {column.name: index for index, column in enumerate(cursor.description)}


# --- Runs --------------------------------------------------------------------------------------

WARM_UP_CYCLES = 3
COUNTED = ["operations", "refused", "postings", "charges", "payments"]


def _worker(
    side: str,
    name: str,
    accounts: list[tuple[int, int]],
    seconds: float,
    raw: dict[str, Any],
    barrier: Any,
    results: Any,
) -> None:
    try:
        runner = Services(name, accounts) if side == "services" else Raw(name, accounts, **raw)
        warm_up = Counts()
        for _ in range(WARM_UP_CYCLES):
            runner.cycle(warm_up)
        barrier.wait(timeout=300)
        counts = Counts()
        started, cpu = time.monotonic(), time.process_time()
        while time.monotonic() < started + seconds:
            runner.cycle(counts)
        results.put(
            {
                "counts": vars(counts),
                "warm_up": vars(warm_up),
                "span": (started, time.monotonic()),
                "cpu": time.process_time() - cpu,
            }
        )
    except BaseException as error:
        barrier.abort()
        results.put({"error": f"{side} worker {name}: {error!r}"})
        raise


def run(
    side: str,
    label: str,
    accounts: list[tuple[int, int]],
    workers: int,
    seconds: float,
    raw: dict[str, Any],
) -> dict[str, Any]:
    """Fork `workers` processes on disjoint slices of `accounts`; total their counts."""
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(
                side,
                f"{label}w{worker}",
                accounts[worker::workers],
                seconds,
                raw,
                barrier,
                results,
            ),
        )
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    # A worker that fails before the start line breaks the barrier; its error is in the queue.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout=300)
    reports = [results.get(timeout=seconds + 300) for _ in processes]
    for process in processes:
        process.join()
    errors = [report["error"] for report in reports if "error" in report]
    if errors:
        raise SystemExit("\n".join(errors))
    total: dict[str, Any] = {name: sum(r["counts"][name] for r in reports) for name in COUNTED}
    total["warm_up"] = {name: sum(r["warm_up"][name] for r in reports) for name in COUNTED}
    total["seconds"] = max(r["span"][1] for r in reports) - min(r["span"][0] for r in reports)
    total["cpu"] = sum(r["cpu"] for r in reports)
    return total


# --- Checks and summary ------------------------------------------------------------------------

TABLES = [
    "ledger_idempotency",
    "ledger_journal_entry",
    "ledger_posting",
    "ledger_charge",
    "ledger_credit",
    "ledger_allocation",
    "audit_event",
]
SIDES = {"services": "ledger services (ORM)", "raw": "raw psycopg replay"}


def rows_written(shop_id: int) -> dict[str, int]:
    """Rows of each table for the shop (the ledger's own audit events, not the shop's creation)."""
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            ledger_only = " AND action LIKE 'ledger.%%'" if table == "audit_event" else ""
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE shop_id = %s{ledger_only}", [shop_id]
            )
            counts[table] = cursor.fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6, help="per side and round")
    parser.add_argument("--rounds", type=int, default=2, help="services, raw, raw, services...")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--customers", type=int, default=400)
    options = parser.parse_args()
    started, load = time.perf_counter(), os.getloadavg()[0]
    try:
        shops = build(options.customers)
        statements = capture(shops["services"])
        _, url = urls(DATABASE)
        accounts = {side: accounts_of(shops[side], options.customers) for side in SIDES}
        rounds: list[dict[str, dict[str, Any]]] = []
        for number in range(options.rounds):
            # Alternate the order (ABBA) so that a drift in the machine's load hits both sides.
            order = ["services", "raw"] if number % 2 == 0 else ["raw", "services"]
            rounds.append({})
            for side in order:
                raw = {"url": url, "shop_id": shops[side], "statements": statements}
                rounds[-1][side] = run(
                    side, f"r{number}", accounts[side], options.workers, options.seconds, raw
                )
        from ardoise.ledger.checks import check_ledger

        reports = {side: check_ledger(shops[side]) for side in SIDES}
        rows = {side: rows_written(shops[side]) for side in SIDES}
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (version,) = cursor.fetchone()
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        admin(DATABASE, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _summary(
        options, rounds, reports, rows, version.split()[0], load, time.perf_counter() - started
    )


def _summary(
    options: argparse.Namespace,
    rounds: list[dict[str, dict[str, Any]]],
    reports: dict[str, Any],
    rows: dict[str, dict[str, int]],
    version: str,
    load: float,
    elapsed: float,
) -> None:
    totals = {
        side: {
            name: sum(result[side][name] for result in rounds)
            for name in [*COUNTED, "seconds", "cpu"]
        }
        for side in SIDES
    }
    print(
        f"posting: {options.workers} worker processes per side, {options.customers} accounts, "
        f"{options.rounds} x {options.seconds:g} s per side, PostgreSQL {version}, "
        f"{os.cpu_count()} CPUs shared with the database"
    )
    # Other work on the machine moves both figures and the ratio: say how busy it was before.
    print(f"load average (1 min) before the bench: {load:.1f}")
    print(
        f"{'':22} {'operations':>10} {'refused':>8} {'postings':>9} {'seconds':>8} "
        f"{'ops/s':>8} {'postings/s':>11} {'client CPU/op':>14}"
    )
    rates = {}
    for side, label in SIDES.items():
        total = totals[side]
        rates[side] = (total["operations"] / total["seconds"], total["postings"] / total["seconds"])
        print(
            f"{label:22} {total['operations']:>10,} {total['refused']:>8,} "
            f"{total['postings']:>9,} {total['seconds']:>8.1f} {rates[side][0]:>8.0f} "
            f"{rates[side][1]:>11.0f} {total['cpu'] * 1000 / total['operations']:>11.2f} ms"
        )
    ratio = rates["services"][0] / rates["raw"][0]
    each = ", ".join(f"{_rate(result['services']) / _rate(result['raw']):.2f}" for result in rounds)
    print(
        f"services/raw: {ratio:.2f} of the operations/s, "
        f"{rates['services'][1] / rates['raw'][1]:.2f} of the postings/s "
        f"(rounds: {each}); target >= {TARGET}: {'OK' if ratio >= TARGET else 'MISSED'}"
    )
    print(f"{'rows per posted operation':32} {'services':>9} {'raw':>9}")
    posted = {}
    for side in SIDES:
        posted[side] = sum(
            result[side][kind] + result[side]["warm_up"][kind]
            for result in rounds
            for kind in ("charges", "payments")
        )
    posted["services"] += 2  # the capture's charge and payment
    for table in TABLES:
        services, raw = (rows[side][table] / posted[side] for side in SIDES)
        print(f"  {table:30} {services:>9.3f} {raw:>9.3f}")
    for side in SIDES:
        print(f"ledger_check, {side} shop: {reports[side].summary()}")
        for problem in reports[side].problems[:10]:
            print(f"  - {problem}")
    print(f"total run time {elapsed:.0f} s")


def _rate(result: dict[str, Any]) -> float:
    return float(result["operations"] / result["seconds"])


if __name__ == "__main__":
    main()
