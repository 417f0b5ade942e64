"""Statement benchmark: HTML preview and PDF for a customer with 500 open charges.

Runs on a database of its own (a fresh SQLite file in a temporary directory), prints the median
of several runs. Targets on the reference machine: preview < 50 ms, PDF < 1 s.

    .venv/bin/python bench/statement.py
"""

import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CHARGES = 500
RUNS = 7


def _setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.pop("DATABASE_URL", None)
    os.environ["ARDOISE_VAR_DIR"] = tempfile.mkdtemp(prefix="ardoise-bench-statement-")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _median_ms(work: Callable[[], object]) -> float:
    work()  # warm up (template and font caches)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    _setup_django()
    import datetime as dt
    import uuid

    from django.contrib.auth import get_user_model
    from django.utils import translation
    from pypdf import PdfReader

    from ardoise.customers.services import create_customer
    from ardoise.ledger import services as ledger
    from ardoise.shops.services import create_shop
    from ardoise.statements.issuing import issue_statement
    from ardoise.statements.rendering import (
        draft_document,
        render_document_html,
        render_statement_pdf,
        statement_document,
    )

    owner = get_user_model().objects.create_user("bench@example.com", "x")
    shop = create_shop(name="Bench", owner=owner, legal_name="SARL Bench", address="1 rue\n75001")
    customer = create_customer(
        shop_id=shop.pk,
        actor_id=None,
        name="Client",
        language="fr",
        address="2 rue",
        postal_code="69001",
        city="Lyon",
    )
    account = ledger.open_account(customer=customer, actor=None, idempotency_key="open")
    first_day = dt.date(2024, 1, 1)
    for n in range(CHARGES):
        ledger.post_charge(
            account=account,
            total=1_000 + n * 37,
            idempotency_key=uuid.uuid4().hex,
            actor=None,
            reference=f"FA-2024-{n:05d}",
            issued_on=first_day + dt.timedelta(days=n % 365),
            due_on=first_day + dt.timedelta(days=n % 365 + 30),
        )
    account.refresh_from_db()
    statement = issue_statement(account=account, actor=None, idempotency_key="bench")
    translation.activate("fr")

    preview = _median_ms(lambda: render_document_html(draft_document(account)))
    snapshot = _median_ms(lambda: render_document_html(statement_document(statement)))
    pdf = _median_ms(lambda: render_statement_pdf(statement))
    pages = len(PdfReader(io.BytesIO(render_statement_pdf(statement))).pages)
    print(f"statement, {CHARGES} open charges (median of {RUNS}):")
    print(f"  HTML preview (live, with queries)  {preview:8.1f} ms   target < 50 ms")
    print(f"  HTML of the stored statement       {snapshot:8.1f} ms")
    print(f"  PDF (WeasyPrint)                   {pdf:8.1f} ms   target < 1000 ms  ({pages} pages)")


if __name__ == "__main__":
    main()
