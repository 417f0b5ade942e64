"""The engine of the hostile-input walk: send one request with one hostile value, and judge it.

Every request runs inside a block that is rolled back afterwards (the way Django's TestCase
wraps a test, so the services' durable transactions run as they do in any test), and the
client's cookies are put back: each hostile value meets the same world, whatever the value
before it did. A request passes when it is not a server error and, if it was refused, it wrote
nothing (`tests.support.database_snapshot`); when it was accepted, the ledger still checks.
"""

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.forms import BaseForm, BaseFormSet
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ardoise.ledger.checks import check_ledger
from tests.hardening import hostile
from tests.support import Snapshot, _watched_models, database_snapshot

# The table a statement writes to (a locking SELECT ... FOR UPDATE writes none).
_WRITTEN_TABLE = re.compile(
    r'^\s*(?:WITH\b.*?\)\s*)?(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?',
    re.IGNORECASE | re.DOTALL,
)
_ANY_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|WITH|MERGE)\b", re.IGNORECASE)

# What a page must never echo verbatim (it escapes what it shows).
_UNESCAPED = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')

# What a file field receives.
UPLOADS = [
    ("logo.png", b"not an image at all", "image/png"),
    ("logo.png", b"", "image/png"),
    (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
    ),
    ("x" * 300 + ".png", b"\x89PNG\r\n\x1a\n", "image/png"),
    ("logo.png\x00.exe", b"MZ", "application/octet-stream"),
    ("../../etc/passwd", b"root:x:0:0", "text/plain"),
]


@dataclass
class Target:
    """One request of the walk: what it sends when nothing is hostile, and what it may vary."""

    label: str  # "staff:customer_movement debit post"
    name: str  # the URL name ("staff:customer_movement")
    method: str
    path: str  # with the world's ids
    baseline: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    htmx_target: str = ""
    # Tables a refused request may still write (a sign-in attempt is counted, refused or not).
    refusal_may_write: frozenset[str] = frozenset()
    success_status: int = 302


@dataclass
class Finding:
    target: str
    field: str
    value: str
    problem: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else f"{self.value[:40]}…({len(self.value)})"
        return f"{self.target} [{self.field}={shown!r}]: {self.problem}"


@contextmanager
def undone() -> Iterator[None]:
    """Run the block in a transaction that is rolled back, marked as the test's own so that a
    service's `atomic(durable=True)` runs inside it (as in every Django TestCase)."""
    block = transaction.atomic()
    block._from_testcase = True  # type: ignore[attr-defined]
    with block:
        yield
        transaction.set_rollback(True)


def _written(queries: list[dict[str, Any]]) -> set[str]:
    """The watched tables the statements wrote to (the session is not watched); "?" for a write
    whose table this cannot read, so that the worst is assumed."""
    watched = {model._meta.db_table for model in _watched_models()}
    tables = set()
    for query in queries:
        match = _WRITTEN_TABLE.match(query["sql"])
        if match and match.group(1) in watched:
            tables.add(match.group(1))
        elif not match and _ANY_WRITE.match(query["sql"]):
            tables.add("?")
    return tables


def _refused(target: Target, response: HttpResponse) -> bool:
    """Whether the app said no: an error status, a form or a cell with errors, a warning or
    error message, or another answer than the target's success (a re-rendered form)."""
    if response.status_code >= 400 or target.method == "get":
        return True  # and a GET never writes
    if _has_errors(getattr(response, "context", None)):
        return True
    queued = getattr(getattr(response.wsgi_request, "_messages", None), "_queued_messages", [])
    if any(message.level >= message_levels.WARNING for message in queued):
        return True
    return response.status_code != target.success_status


def _has_errors(context: Any) -> bool:
    for layer in (
        layer
        for each in (context if isinstance(context, list) else [context] if context else [])
        for layer in each.dicts
    ):
        for name, value in layer.items():
            if isinstance(value, (BaseForm, BaseFormSet)) and value.is_bound and value.errors:
                return True
            if name in {"errors", "error"} and value and isinstance(value, (dict, str)):
                return True
    return False


class Walker:
    """Sends a target's requests from one client and keeps what went wrong."""

    def __init__(self, client: Client, shop_id: int, corpus: hostile.Corpus) -> None:
        self.client, self.shop_id, self.corpus = client, shop_id, corpus
        self.findings: list[Finding] = []
        self.requests = 0
        self.last_refused = False
        # POST targets whose valid data was refused: their hostile values meet only a refusal.
        self.refused_baselines: list[str] = []
        self.before: Snapshot = database_snapshot()

    def send(
        self,
        target: Target,
        data: dict[str, Any],
        *,
        path: str | None = None,
        field_name: str = "",
        value: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.requests += 1
        cookies = copy.deepcopy(self.client.cookies)
        headers = dict(headers or {})
        if target.htmx_target and target.method == "get":
            headers |= {"HX-Request": "true", "HX-Target": target.htmx_target}
        send = self.client.get if target.method == "get" else self.client.post
        problem = ""
        connection.queries_log.clear()  # a full log (9,000 queries) would capture nothing
        try:
            with undone(), CaptureQueriesContext(connection) as queries:
                response = send(path or target.path, data, headers=headers)
                problem = self._judge(target, response, queries.captured_queries, value)
        except Exception as error:  # a server error is what the walk looks for
            problem = f"server error: {type(error).__name__}: {str(error)[:200]}"
        finally:
            self.client.cookies = cookies
        if problem:
            self.findings.append(Finding(target.label, field_name, value, problem))

    def _judge(
        self, target: Target, response: HttpResponse, queries: list[dict[str, Any]], value: str
    ) -> str:
        self.last_refused = _refused(target, response)
        if response.status_code >= 500:
            return f"status {response.status_code}"
        content_type = response.get("Content-Type", "")
        if "html" in content_type and not getattr(response, "streaming", False):
            html = response.content.decode(errors="replace")
            if any(payload in value and payload in html for payload in _UNESCAPED):
                return "the page shows the value unescaped"
        written = _written(queries)
        if not written:
            return ""
        if self.last_refused:
            changes = database_snapshot().changes_since(self.before)
            unexpected = {
                table: change
                for table, change in changes.items()
                if table not in target.refusal_may_write
            }
            if unexpected:
                return f"refused ({response.status_code}) yet wrote {sorted(unexpected)}"
            return ""
        if not any(table == "?" or table.startswith("ledger_") for table in written):
            return ""
        report = check_ledger(self.shop_id)
        return "" if report.ok else f"accepted, and the ledger no longer checks: {report.problems}"

    def walk(self, target: Target, *, few: bool = False) -> None:
        """Every field of the target, each with the hostile values of its kind, one at a time.

        The fields after the first of a family (`line-3-item`, the Payments page's other mode
        columns) get a few values only; with `few`, every field gets a few values and the
        fields after the first of a family none."""
        self.last_refused = True
        self.send(target, target.baseline)
        if target.method == "post" and self.last_refused:
            self.refused_baselines.append(target.label)
        families: set[str] = set()
        for name, kind in target.kinds.items():
            family = _family(name)
            first = family not in families
            families.add(family)
            if few and not first:
                continue
            if kind == "file":
                for filename, content, content_type in UPLOADS:
                    upload = SimpleUploadedFile(filename, content, content_type=content_type)
                    data = target.baseline | {name: upload}
                    self.send(target, data, field_name=name, value=filename)
                continue
            values = self.corpus.values(kind, f"{target.name}:{family}", few=few or not first)
            for value in values:
                if name.startswith("header:"):  # a request header (X-Forwarded-For)
                    header = {name.removeprefix("header:"): value}
                    self.send(target, target.baseline, field_name=name, value=value, headers=header)
                else:
                    data = target.baseline | {name: [value]}
                    self.send(target, data, field_name=name, value=value)


def _family(name: str) -> str:
    """Fields that differ by a number (`line-0-item`, `line-1-item`) or by the mode column of
    one Payments row (`amount-7-cash`, `amount-7-card`) are one family."""
    family = re.sub(r"\d+", "#", name)
    return re.sub(r"^(amount|version)-#-.+$", r"\1-#-mode", family)
