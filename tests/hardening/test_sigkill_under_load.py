"""The server killed with SIGKILL under load, restarted, and nothing is half-written.

A real gunicorn (two worker processes, as in production) serves a real database: a file of
SQLite in the SQLite run, the test database itself in the PostgreSQL run. Client threads post
money over HTTP at once: charges and payments through the JSON API (with `Idempotency-Key`)
and payments through the back office's payment form (signed in, with the form's CSRF token and
idempotency key). Meanwhile the whole server (master and workers) is killed with SIGKILL a few
times, mid-request, and started again; a client that loses its connection sends the same
request with the same key until it gets an answer, as a till would.

Then `manage.py ledger_check` exits 0, and a process of its own (tests/hardening/crash_check)
finds no half-written row: every journal entry balanced with at least two postings, every
idempotency key settled with its result, every API request with its response. And what the
clients were told is what the database holds: each charge or payment answered 201 exists
exactly once (however many times it was sent), one refused exists not at all, and each
account's figures are the sum of them. Bounded: KILLS kills, a few seconds of load each.
"""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection
from django.utils import timezone

from ardoise.api.keys import create_api_key
from ardoise.shops.models import Membership, RoleKind, Shop
from tests.factories import PASSWORD, make_account, make_shop, owner_of

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
KILLS = 3
LOAD_SECONDS = (1.0, 2.5)  # how long the server runs under load before each kill
API_CLIENTS = 3
FORM_CLIENTS = 1
ANSWER = 10  # seconds a request may wait for its answer from a server that is up


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url(tmp_path: Path) -> str:
    """A database the server can open: a file copy of the SQLite test database (schema,
    triggers and the rows made so far), or the PostgreSQL test database itself."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host, port = settings["USER"], settings["HOST"] or "127.0.0.1", settings["PORT"]
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return f"postgres://{user}{password}@{host}:{port or 5432}/{settings['NAME']}"
    import sqlite3

    target = tmp_path / "killed.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")
    return f"sqlite:///{target}"


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        ARDOISE_TESTING="1",
        API_RATE_BURST="1000000",
        API_RATE_PER_MINUTE="60000000",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


class Server:
    """gunicorn in a process group of its own, so that SIGKILL takes master and workers."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "1",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if requests.get(f"{self.base}/login/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("the server did not start:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@dataclass
class Told:
    """What the clients were answered, per reference (each request's own key)."""

    charges: dict[str, tuple[str, int]] = field(default_factory=dict)  # ref -> customer, amount
    credits: dict[str, tuple[str, int]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    retries: int = 0
    cut: int = 0  # requests a kill cut off after they were sent (not refused connections)


@dataclass(frozen=True)
class World:
    shop: Shop
    customers: list[int]
    secret: str
    owner_email: str


def _world() -> World:
    shop = make_shop()
    customers = [
        make_account(shop, credit_limit=limit, name=f"Client {n}").customer_id
        for n, limit in enumerate([None, 50_00, 0])
    ]
    owner = owner_of(shop)
    membership = Membership.objects.get(shop=shop, user=owner, role__kind=RoleKind.OWNER)
    key = create_api_key(
        membership=membership, name="Till", scopes=["sales.create", "payments.record"]
    )
    return World(shop=shop, customers=customers, secret=key.secret, owner_email=owner.email)


def _until_answered(send: Any, told: Told) -> requests.Response | None:
    """Send until a server answers (the same request, so the same key), or give up."""
    stop_at = time.monotonic() + 90
    while time.monotonic() < stop_at:
        try:
            return send()
        except requests.RequestException as error:
            with told.lock:
                told.retries += 1
                told.cut += "refused" not in str(error).lower()
            time.sleep(0.05)
    return None


def _api_client(server: Server, world: World, told: Told, stop: threading.Event, seed: int) -> None:
    chance = random.Random(seed)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {world.secret}"
    while not stop.is_set():
        reference = uuid.uuid4().hex[:24]
        customer = chance.choice(world.customers)
        charge = chance.random() < 0.6
        body = {
            "customer_id": customer,
            "amount": "7.00" if charge else "5.00",
            "currency": "EUR",
            "reference": reference,
            **({} if charge else {"mode": "cash"}),
        }
        url = f"{server.base}/api/v1/{'charges' if charge else 'payments'}"
        headers = {"Idempotency-Key": reference}
        send = partial(session.post, url, json=body, headers=headers, timeout=ANSWER)
        answer = _until_answered(send, told)
        _record(told, answer, reference, (str(customer), 7_00 if charge else 5_00), charge)


def _form_client(
    server: Server, world: World, told: Told, stop: threading.Event, seed: int
) -> None:
    chance = random.Random(seed)
    session = requests.Session()

    def sign_in() -> requests.Response:
        session.get(f"{server.base}/login/", timeout=ANSWER)
        return session.post(
            f"{server.base}/login/",
            {
                "username": world.owner_email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=ANSWER,
            allow_redirects=False,
        )

    signed_in = _until_answered(sign_in, told)
    assert signed_in is not None
    assert signed_in.status_code == 302, signed_in.text[:500]
    while not stop.is_set():
        reference = uuid.uuid4().hex[:24]
        customer = chance.choice(world.customers)
        url = f"{server.base}/customers/{customer}/movements/payment/"
        data = {
            "mode": "cash",
            "amount": "3.00",
            "day": timezone.localdate().isoformat(),
            "reference": reference,
            "idempotency_key": reference,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        }
        send = partial(session.post, url, data, timeout=ANSWER, allow_redirects=False)
        answer = _until_answered(send, told)
        if answer is not None and answer.status_code == 302:  # recorded: back to the account
            with told.lock:
                told.credits[reference] = (str(customer), 3_00)
        else:
            _record(told, answer, reference, (str(customer), 3_00), charge=False)


def _record(
    told: Told,
    answer: requests.Response | None,
    reference: str,
    what: tuple[str, int],
    charge: bool,
) -> None:
    with told.lock:
        if answer is None or answer.status_code >= 500:
            told.errors.append(f"{reference}: {answer.status_code if answer else 'no answer'}")
        elif answer.status_code == 201:
            (told.charges if charge else told.credits)[reference] = what
        elif answer.status_code == 422:  # over the limit: refused, and nothing recorded
            told.refused.append(reference)
        else:
            told.errors.append(f"{reference}: {answer.status_code} {answer.text[:200]}")


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, World, dict[str, str]]]:
    world = _world()
    env = _env(_database_url(tmp_path))
    running = Server(env, _free_port(), tmp_path / "gunicorn.log")
    running.start()
    try:
        yield running, world, env
    finally:
        running.stop()


def test_killing_the_server_under_load_leaves_nothing_half_written(
    server: tuple[Server, World, dict[str, str]],
) -> None:
    running, world, env = server
    told, stop, chance = Told(), threading.Event(), random.Random(20261202)
    clients = [
        threading.Thread(target=_api_client, args=(running, world, told, stop, n))
        for n in range(API_CLIENTS)
    ] + [
        threading.Thread(target=_form_client, args=(running, world, told, stop, 100 + n))
        for n in range(FORM_CLIENTS)
    ]
    for client in clients:
        client.start()

    for _kill in range(KILLS):
        time.sleep(chance.uniform(*LOAD_SECONDS))
        running.kill()
        running.start()
    time.sleep(LOAD_SECONDS[0])
    stop.set()
    for client in clients:
        client.join(timeout=120)
    running.kill()  # once more, idle: what is on disk is what a crash leaves

    assert told.errors == [], running.log.read_text()[-3000:]
    assert told.cut > 0, "no request was cut off by a kill: the test proved nothing"
    ledger_check = _run(env, "manage.py", "ledger_check")
    assert ledger_check.returncode == 0, ledger_check.stdout + ledger_check.stderr
    found = _run(env, "-m", "tests.hardening.crash_check", str(world.shop.pk))
    assert found.returncode == 0, found.stderr
    state = json.loads(found.stdout.strip().splitlines()[-1])
    assert (
        state["half_entries"],
        state["keys_without_result"],
        state["requests_without_response"],
    ) == ([], [], [])
    assert state["charges"] == dict.fromkeys(told.charges, 1)
    assert state["credits"] == dict.fromkeys(told.credits, 1)
    assert set(told.refused).isdisjoint(state["charges"])
    expected = dict.fromkeys(map(str, world.customers), 0)
    for customer, amount in told.credits.values():
        expected[customer] += amount
    for customer, amount in told.charges.values():
        expected[customer] -= amount
    assert {customer: figures[0] for customer, figures in state["accounts"].items()} == expected
