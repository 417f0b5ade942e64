"""Online backup and restore of the database, the uploaded files and the mail folder.

A backup is a folder: `database.sqlite3` (SQLite's online backup API: one read snapshot, so
writers carry on while it is taken; WAL mode lets them) or `database.dump` (PostgreSQL's
`pg_dump --format=custom`, a consistent snapshot too), `files.tar.gz` with the uploads
(MEDIA_ROOT) and the mail folder when mail is written to files, and `manifest.json` saying what
is inside. Nothing is overwritten: a backup goes to a new folder and a restore into a new
SQLite file or an empty PostgreSQL database, and the copy is checked before it is kept.
"""

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

DATABASE_SQLITE = "database.sqlite3"
DATABASE_DUMP = "database.dump"
FILES = "files.tar.gz"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why."""


@dataclass(frozen=True)
class Backup:
    folder: Path
    engine: str
    files: list[str]


def _file_roots() -> dict[str, Path]:
    roots = {"media": Path(settings.MEDIA_ROOT)}
    mail = getattr(settings, "EMAIL_FILE_PATH", None)
    if mail and settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        roots["mail"] = Path(mail)
    return {name: root for name, root in roots.items() if root.is_dir()}


def _pg_env(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            args += [flag, str(database[key])]
    return args, env


def _check_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as copy:
        (result,) = copy.execute("PRAGMA integrity_check").fetchone()
    if result != "ok":
        raise BackupError(f"the copy in {path} failed its integrity check: {result}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """One step of SQLite's online backup: a single read snapshot of `source`."""
    partial = target.with_suffix(target.suffix + ".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(source, timeout=30) as live, sqlite3.connect(partial) as copy:
        live.backup(copy)  # pages=-1: all at once, inside one read transaction
    _check_sqlite(partial)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    partial.rename(target)


def back_up(*, folder: Path, using: str = "default", with_files: bool = True) -> Backup:
    """Write a backup of the live database (and its files) into the new folder `folder`."""
    if folder.exists():
        raise BackupError(f"{folder} already exists: a backup goes to a new folder")
    database = connections[using].settings_dict
    engine = connections[using].vendor
    folder.mkdir(parents=True)
    if engine == "sqlite":
        _sqlite_copy(Path(database["NAME"]), folder / DATABASE_SQLITE)
    elif engine == "postgresql":
        args, env = _pg_env(database)
        command = ["pg_dump", "--format=custom", "--no-owner", *args]
        command += ["--file", str(folder / DATABASE_DUMP), str(database["NAME"])]
        _run(command, env)
    else:
        raise BackupError(f"no backup for the {engine} engine")
    files = []
    roots = _file_roots() if with_files else {}
    if roots:
        with tarfile.open(folder / FILES, "w:gz") as archive:
            for name, root in roots.items():
                archive.add(root, arcname=name)
                files.append(name)
    manifest = {
        "engine": engine,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return Backup(folder=folder, engine=engine, files=files)


def restore(
    *,
    folder: Path,
    sqlite_file: Path | None = None,
    postgres_database: str | None = None,
    using: str = "default",
    files_to: Path | None = None,
) -> Backup:
    """Restore `folder` into a new SQLite file or an empty PostgreSQL database, and (when
    `files_to` is given) its files under that folder (`media/`, `mail/`)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    engine = manifest["engine"]
    if engine == "sqlite":
        if sqlite_file is None:
            raise BackupError("say which new SQLite file to restore into")
        if sqlite_file.exists():
            raise BackupError(f"{sqlite_file} already exists: restore into a new file")
        _sqlite_copy(folder / DATABASE_SQLITE, sqlite_file)
        with sqlite3.connect(sqlite_file) as restored:
            restored.execute("PRAGMA journal_mode=WAL")
    elif engine == "postgresql":
        if not postgres_database:
            raise BackupError("say which empty PostgreSQL database to restore into")
        args, env = _pg_env(connections[using].settings_dict)
        command = ["pg_restore", "--no-owner", "--exit-on-error", *args]
        command += ["--dbname", postgres_database, str(folder / DATABASE_DUMP)]
        _run(command, env)
    if files_to is not None and manifest["files"]:
        with tarfile.open(folder / FILES, "r:gz") as archive:
            archive.extractall(files_to, filter="data")
    return Backup(folder=folder, engine=engine, files=list(manifest["files"]))


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    # The command is pg_dump or pg_restore with our own settings as arguments, no shell.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")
