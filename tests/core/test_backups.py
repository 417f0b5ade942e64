"""Backing up a live SQLite database under writes, restoring it into a new file, and finding
the same ledger there (ledger_check clean, same totals), with the uploaded files."""

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _env(database: Path, var: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=f"sqlite:///{database}", ARDOISE_TESTING="1", ARDOISE_VAR_DIR=str(var))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def live_file(tmp_path: Path) -> Path:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's online backup; PostgreSQL backups are pg_dump (README)")
    target = tmp_path / "live.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)  # the migrated schema with its append-only triggers
        copy.execute("PRAGMA journal_mode=WAL")
    return target


def test_a_backup_taken_under_writes_restores_with_the_same_ledger(
    live_file: Path, tmp_path: Path
) -> None:
    var = tmp_path / "var"
    (var / "media" / "logos").mkdir(parents=True)
    (var / "media" / "logos" / "shop.png").write_bytes(b"\x89PNG logo")
    env = _env(live_file, var)
    account = _json(_run(env, "-m", "tests.core.backup_writer", "setup"))["account"]
    signals = tmp_path / "writer"
    signals.mkdir()
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.core.backup_writer", "write", str(account), str(signals)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):  # the writer is busy posting when the backup starts
        if (signals / "started").exists() or writer.poll() is not None:
            break
        time.sleep(0.1)

    backup = _run(env, "manage.py", "backup_database", str(tmp_path / "backup"))
    (signals / "stop").touch()  # and it goes on until the backup is taken
    out, err = writer.communicate(timeout=180)

    assert backup.returncode == 0, backup.stderr
    assert writer.returncode == 0, err
    written = json.loads(out.strip().splitlines()[-1])["writes"]
    restored = tmp_path / "restored.sqlite3"
    restore = _run(
        env,
        "manage.py",
        "restore_database",
        str(tmp_path / "backup"),
        "--sqlite-file",
        str(restored),
        "--files-to",
        str(tmp_path / "files"),
    )
    assert restore.returncode == 0, restore.stderr
    restored_env = _env(restored, var)
    check = _run(restored_env, "manage.py", "ledger_check")
    assert check.returncode == 0, check.stdout + check.stderr
    backed_up = _json(_run(_env(tmp_path / "backup" / "database.sqlite3", var), "-m",
                           "tests.core.backup_writer", "totals"))  # fmt: skip
    assert _json(_run(restored_env, "-m", "tests.core.backup_writer", "totals")) == backed_up
    # A snapshot taken while the writer ran: some of its writes, not all, and nothing torn.
    assert 0 < backed_up["entries"] < written
    assert backed_up["postings"]["total"] == 0
    assert (tmp_path / "files" / "media" / "logos" / "shop.png").read_bytes() == b"\x89PNG logo"
    live = _json(_run(env, "-m", "tests.core.backup_writer", "totals"))
    assert live["entries"] == written


def test_a_backup_never_overwrites_and_a_restore_never_replaces(
    live_file: Path, tmp_path: Path
) -> None:
    env = _env(live_file, tmp_path / "var")
    (tmp_path / "taken").mkdir()
    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"keep me")

    again = _run(env, "manage.py", "backup_database", str(tmp_path / "taken"))
    first = _run(env, "manage.py", "backup_database", str(tmp_path / "backup"))
    onto = _run(
        env, "manage.py", "restore_database", str(tmp_path / "backup"), "--sqlite-file",
        str(existing),
    )  # fmt: skip

    assert again.returncode == 1
    assert "already exists: a backup goes to a new folder" in again.stderr
    assert first.returncode == 0, first.stderr
    assert onto.returncode == 1
    assert "already exists: restore into a new file" in onto.stderr
    assert existing.read_bytes() == b"keep me"
