"""Export benchmark: 1,000,000 payments to XLSX through Ardoise against raw XlsxWriter.

Ardoise reads the payments from PostgreSQL through the one reading of money received
(`payments.selectors.receipts`: `.iterator(chunk_size=...)`, joins for the customer and the
invoice number) and writes them with its export code (`exports.payments.write_payments`,
XlsxWriter in constant_memory mode). The baseline writes the same rows, already in memory, with
XlsxWriter in constant_memory mode and the same cell types and formats. Each runs in its own
process; its time and peak memory (ru_maxrss) are printed, and the ratio of the times.
Targets: Ardoise at most 1.3x the raw time, and under 150 MB peak.

Uses a database of its own on TEST_POSTGRES_URL's server (`ardoise_bench_export`), filled with
set-based SQL (generate_series, foreign-key triggers off for the fill), dropped at the end.

    .venv/bin/python bench/export.py [--rows 1000000]
"""

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _postgres import admin, setup_django, urls

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "ardoise_bench_export"
CUSTOMERS = 2000
MODES = ["cash", "cheque", "card", "transfer"]
LABELS = {"cash": "Cash", "cheque": "Cheque", "card": "Card", "transfer": "Transfer"}
START = dt.date(2025, 1, 1)


def _row(number: int) -> tuple[dt.date, str, str, str, str, int]:
    """Payment `number` (1-based), exactly as the SQL fill writes it."""
    customer = (number - 1) % CUSTOMERS + 1
    return (
        START + dt.timedelta(days=(number - 1) % 365),
        f"Client {customer:05d}",
        f"2025-{number:07d}",
        LABELS[MODES[(number - 1) % 4]],
        f"REF-{number}",
        1_00 + (number * 7919) % 50_000,
    )


def fill(rows: int) -> int:
    """Create, migrate and fill the benchmark database; returns the shop id."""
    admin(DATABASE, f"DROP DATABASE IF EXISTS {DATABASE}")
    admin(DATABASE, f"CREATE DATABASE {DATABASE}")
    _, url = urls(DATABASE)
    setup_django(url, debug=True)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from ardoise.shops.models import Shop

    shop = Shop.objects.create(name="Bench", slug="bench")
    with connection.cursor() as cursor:
        # A throwaway database filled by set-based SQL whose keys are right by construction:
        # skip the per-row foreign-key triggers so the fill takes a minute, not five.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "INSERT INTO customers_customer (shop_id, name, company, email, phone, address, "
            "postal_code, city, country, language, reference, notes, is_archived, created_at, "
            "search_text, allow_several_orders, portal_session_version) "
            "SELECT %s, 'Client ' || lpad(g::text, 5, '0'), '', '', '', '', '', '', 'FR', 'fr', "
            "'', '', false, now(), 'client ' || lpad(g::text, 5, '0'), false, 1 "
            "FROM generate_series(1, %s) g",
            [shop.pk, CUSTOMERS],
        )
        cursor.execute(
            "INSERT INTO ledger_account (shop_id, customer_id, currency, balance, debt, deposit, "
            "reserved, version, opened_at) SELECT %s, id, 'EUR', 0, 0, 0, 0, 0, now() "
            "FROM customers_customer WHERE shop_id = %s ORDER BY id",
            [shop.pk, shop.pk],
        )
        cursor.execute(
            "INSERT INTO ledger_journal_entry (shop_id, kind, occurred_at, recorded_at, memo, "
            "reason) SELECT %s, 'payment', now(), now(), 'REF-' || g, '' "
            "FROM generate_series(1, %s) g",
            [shop.pk, rows],
        )
        # Payment g: customer ((g-1) % CUSTOMERS) + 1, mode by g % 4, a date in 2025.
        cursor.execute(
            "WITH accounts AS (SELECT id, row_number() OVER (ORDER BY id) AS n "
            "FROM ledger_account WHERE shop_id = %(shop)s), "
            "entries AS (SELECT id, row_number() OVER (ORDER BY id) AS g "
            "FROM ledger_journal_entry WHERE shop_id = %(shop)s) "
            "INSERT INTO ledger_credit (shop_id, account_id, entry_id, kind, mode, reference, "
            "reason, earmark, received_on, amount, unapplied_amount, vat_amount, payout_amount, "
            "payout_mode, status, created_at) "
            "SELECT %(shop)s, a.id, e.id, 'payment', "
            "(ARRAY['cash','cheque','card','transfer'])[((e.g - 1) %% 4) + 1], 'REF-' || e.g, "
            "'', '', DATE '2025-01-01' + ((e.g - 1) %% 365)::int, "
            "100 + (e.g * 7919) %% 50000, 0, 0, 0, '', 'active', now() "
            "FROM entries e JOIN accounts a ON a.n = ((e.g - 1) %% %(customers)s) + 1",
            {"shop": shop.pk, "customers": CUSTOMERS},
        )
        # Every payment settled an invoice: the invoice number comes through a join, as in use.
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_numbers AS SELECT c.id AS credit_id, "
            "row_number() OVER (ORDER BY c.id) AS g FROM ledger_credit c WHERE c.shop_id = %s",
            [shop.pk],
        )
        cursor.execute("ANALYZE")
    _attach_invoices(shop.pk, rows)
    return shop.pk


def _attach_invoices(shop_id: int, rows: int) -> None:
    """One invoice per payment, with its settlement row (the invoice number in the export).

    Orders and charges are required by the foreign keys; their amounts are not read here.
    """
    from django.db import connection

    statements = [
        "INSERT INTO ledger_journal_entry (shop_id, kind, occurred_at, recorded_at, memo, reason) "
        "SELECT %(shop)s, 'sale', now(), now(), 'inv', '' FROM generate_series(1, %(rows)s)",
        "CREATE TEMPORARY TABLE bench_sales AS SELECT id AS entry_id, "
        "row_number() OVER (ORDER BY id) AS g FROM ledger_journal_entry "
        "WHERE shop_id = %(shop)s AND kind = 'sale'",
        "INSERT INTO ledger_charge (shop_id, account_id, entry_id, kind, reference, description, "
        "earmark, issued_on, net_amount, vat_amount, total, open_amount, credited_amount, "
        "credited_vat_amount, status, created_at) SELECT %(shop)s, c.account_id, s.entry_id, "
        "'invoice', '2025-' || lpad(s.g::text, 7, '0'), '', '', c.received_on, c.amount, 0, "
        "c.amount, 0, 0, 0, 'paid', now() FROM bench_sales s "
        "JOIN bench_numbers n ON n.g = s.g JOIN ledger_credit c ON c.id = n.credit_id",
        "INSERT INTO invoicing_order (shop_id, customer_id, account_id, status, ordered_on, note, "
        "net_amount, vat_amount, total, idempotency_key, delivery_key, created_at, cancel_reason) "
        "SELECT %(shop)s, a.customer_id, ch.account_id, 'delivered', ch.issued_on, "
        "ch.reference, ch.total, 0, ch.total, 'bench-' || ch.id, '', now(), '' "
        "FROM ledger_charge ch JOIN ledger_account a ON a.id = ch.account_id "
        "WHERE ch.shop_id = %(shop)s",
        "INSERT INTO invoicing_invoice (shop_id, order_id, charge_id, number, year, sequence, "
        "issued_on, due_on, net_amount, vat_amount, total, seller_name, seller_address, "
        "seller_siret, seller_vat_number, buyer_name, buyer_address, payment_terms_days, "
        "created_at) SELECT %(shop)s, o.id, ch.id, ch.reference, 2025, "
        "substr(ch.reference, 6)::int, ch.issued_on, ch.issued_on, ch.total, 0, ch.total, "
        "'Bench', '', '', '', '', '', 30, now() FROM invoicing_order o "
        "JOIN ledger_charge ch ON ch.reference = o.note AND ch.shop_id = o.shop_id "
        "WHERE o.shop_id = %(shop)s",
        "INSERT INTO invoicing_settlement (shop_id, invoice_id, mode, amount, applied_amount, "
        "credit_id, sources, received_on, idempotency_key, status, created_at, reversal_reason) "
        "SELECT %(shop)s, i.id, c.mode, c.amount, c.amount, c.id, '[]', c.received_on, "
        "'bench-' || c.id, 'active', now(), '' FROM bench_numbers n "
        "JOIN ledger_credit c ON c.id = n.credit_id "
        "JOIN invoicing_invoice i ON i.sequence = n.g AND i.shop_id = %(shop)s",
        "ANALYZE",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, {"shop": shop_id, "rows": rows})


def child_ardoise(shop_id: int, path: str) -> dict[str, float]:
    _, url = urls(DATABASE)
    setup_django(url, debug=True)
    from ardoise.exports.payments import write_payments
    from ardoise.exports.xlsx import open_workbook
    from ardoise.payments.selectors import receipts

    started = time.perf_counter()
    workbook = open_workbook(path)
    year = receipts(shop_id, START, START.replace(month=12, day=31))
    count = write_payments(workbook, year, labels=LABELS)
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": count}


def child_raw(rows: int, path: str) -> dict[str, float]:
    import xlsxwriter

    data = [_row(number) for number in range(1, rows + 1)]  # the same rows, in memory
    started = time.perf_counter()
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = workbook.add_worksheet("Payments received")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    money = workbook.add_format({"num_format": '#,##0.00 "€";-#,##0.00 "€"'})
    header = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#EEF1F4"})
    for column, width in enumerate([12, 18, 32, 14, 18, 26, 16, 16]):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    sheet.write_row(
        0,
        0,
        ["Received on", "Kind", "Customer", "Invoice", "Mode", "Reference", "Amount", "Deducted"],
        header,
    )
    total = 0
    for index, (day, name, number, mode, reference, amount) in enumerate(data, start=1):
        sheet.write_datetime(index, 0, day, date_format)
        sheet.write_string(index, 1, "Payment")
        sheet.write_string(index, 2, name)
        sheet.write_string(index, 3, number)
        sheet.write_string(index, 5, reference)
        sheet.write_string(index, 4, mode)
        sheet.write_number(index, 6, amount / 100, money)
        total += amount
    sheet.write_string(rows + 1, 0, "Total")
    sheet.write_number(rows + 1, 6, total / 100, money)
    sheet.write_number(rows + 1, 7, 0, money)
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


def _run_child(kind: str, argument: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ardoise-bench-export-") as folder:
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                kind,
                "--argument",
                str(argument),
                "--path",
                f"{folder}/{kind}.xlsx",
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=["ardoise", "raw"])
    parser.add_argument("--argument", type=int, default=0)
    parser.add_argument("--path", default="")
    options = parser.parse_args()
    if options.child:
        run = child_ardoise if options.child == "ardoise" else child_raw
        result = run(options.argument, options.path)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["size_mb"] = os.path.getsize(options.path) / 1024 / 1024
        print(json.dumps(result))
        return
    started = time.perf_counter()
    try:
        shop_id = fill(options.rows)
        print(f"filled {options.rows:,} payments in {time.perf_counter() - started:.1f} s")
        raw = _run_child("raw", options.rows)
        ours = _run_child("ardoise", shop_id)
    finally:
        from django.db import connections

        connections.close_all()
        admin(DATABASE, f"DROP DATABASE IF EXISTS {DATABASE}")
    assert ours["rows"] == raw["rows"] == options.rows, (ours, raw)
    ratio = ours["seconds"] / raw["seconds"]
    print(f"raw XlsxWriter (rows in memory): {raw['seconds']:.1f} s, peak {raw['peak_mb']:.0f} MB")
    print(
        f"Ardoise export (from PostgreSQL): {ours['seconds']:.1f} s, peak {ours['peak_mb']:.0f} MB,"
        f" file {ours['size_mb']:.0f} MB"
    )
    verdict = "OK" if ratio <= 1.3 and ours["peak_mb"] < 150 else "MISSED"
    print(f"ratio {ratio:.2f}x (target <= 1.3x), peak target < 150 MB: {verdict}")


if __name__ == "__main__":
    main()
