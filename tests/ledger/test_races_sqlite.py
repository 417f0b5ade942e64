"""The same race on SQLite with real processes: 8 processes write one database file at once.

SQLite serialises writers; Ardoise's settings (WAL, IMMEDIATE transactions, a busy timeout) must
make the writers queue rather than fail with "database is locked", and the ledger must still admit
exactly what the limit allows. The test copies the migrated test database (schema and triggers)
into a file, then runs `tests/ledger/sqlite_worker.py` in separate Python processes against it.
"""

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 8
ATTEMPTS = 4


def _env(database: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=f"sqlite:///{database}", ARDOISE_TESTING="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _worker(database: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.sqlite_worker", *args],
        cwd=ROOT,
        env=_env(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> Any:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the thread races of test_races_postgres apply")
    target = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)  # the migrated schema, with its append-only triggers
        copy.execute("PRAGMA journal_mode=WAL")
    return target


def test_eight_processes_share_one_limit_without_database_is_locked(
    database_file: Path, tmp_path: Path
) -> None:
    ids = _result(_worker(database_file, "setup"))
    ready = tmp_path / "ready"
    ready.mkdir()
    shared = uuid.uuid4().hex
    args = [str(ids["limited"]), str(ids["open"]), str(ready), str(PROCESSES), str(ATTEMPTS)]
    workers = [_worker(database_file, "work", *args, shared) for _ in range(PROCESSES)]
    results = [_result(worker) for worker in workers]

    assert [result["errors"] for result in results] == [[]] * PROCESSES
    # 20 € of top-up and a 100 € limit: 120 € of room, so 17 charges of 7 € out of 32.
    assert sum(result["admitted"] for result in results) == 17
    assert sum(result["refused"] for result in results) == PROCESSES * ATTEMPTS - 17
    # Every retry of the shared key got the one charge it created.
    assert len({result["shared"] for result in results}) == 1

    state = _result(_worker(database_file, "state", str(ids["limited"]), str(ids["open"])))
    assert state[str(ids["limited"])] == {"balance": -99_00, "posted": -99_00, "charges": 17}
    assert state[str(ids["open"])] == {"balance": -3_00, "posted": -3_00, "charges": 1}

    check = subprocess.run(
        [sys.executable, "manage.py", "ledger_check"],
        cwd=ROOT,
        env=_env(database_file),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (check.returncode, check.stderr) == (0, "")
    assert check.stdout.startswith("ledger OK: ")
