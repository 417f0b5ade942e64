"""Benchmark: the customers list on 100,000 customers with accounts, ORM against raw SQL.

Builds (once) a PostgreSQL database `ardoise_bench_customers` on TEST_POSTGRES_URL's server with
one shop, 100,000 customers and their accounts (bulk SQL insert: this is a fixture, not ledger
history), then times the list view's query set (the page of 50 plus the paginator's count) for
search, sort by balance and the "owes money" filter, next to hand-written SQL doing the same.
Prints the median of each in ms and the ratio. Run: `.venv/bin/python bench/customers.py`.
"""

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CUSTOMERS = 100_000
RUNS = 15
DATABASE = "ardoise_bench_customers"


def _database_url() -> str:
    base = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ardoise")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{DATABASE}", parts.query, ""))


def _create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')


def _setup() -> None:
    url = _database_url()
    _create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


FIRST = ["camille", "louise", "hugo", "jules", "lea", "manon", "arthur", "zoe", "adam", "ines"]
LAST = ["martin", "bernard", "dubois", "thomas", "robert", "petit", "durand", "leroy", "moreau"]


def _build() -> int:
    from django.db import connection

    from ardoise.shops.models import Shop, User
    from ardoise.shops.services import create_shop

    shop = Shop.objects.filter(slug="bench-customers").first()
    if shop is not None and shop.customers.count() == CUSTOMERS:
        return shop.pk
    started = time.perf_counter()
    owner = User.objects.create_user(f"bench-{time.time_ns()}@example.com", None)
    shop = create_shop(name="Bench", slug=f"bench-customers-{time.time_ns()}", owner=owner)
    Shop.objects.filter(slug="bench-customers").update(slug=f"old-{time.time_ns()}")
    Shop.objects.filter(pk=shop.pk).update(slug="bench-customers")
    first = "ARRAY[" + ",".join(f"'{name}'" for name in FIRST) + "]"
    last = "ARRAY[" + ",".join(f"'{name}'" for name in LAST) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO customers_customer (shop_id, name, company, email, phone, address,
                postal_code, city, country, language, reference, notes, is_archived, created_at,
                search_text, allow_several_orders, portal_session_version)
            SELECT %s, initcap(n.first) || ' ' || initcap(n.last) || ' ' || i,
                CASE WHEN i %% 7 = 0 THEN 'Bistrot ' || i ELSE '' END,
                n.first || '.' || n.last || '.' || i || '@example.fr',
                '06 ' || lpad((i %% 100)::text, 2, '0') || ' '
                    || lpad((i / 100 %% 100)::text, 2, '0'),
                '', '', '', 'FR', 'fr', '', '', false, now(),
                n.first || ' ' || n.last || ' ' || i || ' '
                    || CASE WHEN i %% 7 = 0 THEN 'bistrot ' || i || ' ' ELSE '' END
                    || n.first || '.' || n.last || '.' || i || '@example.fr',
                false, 1
            FROM generate_series(1, %s) AS i,
            LATERAL (SELECT ({first})[1 + i %% {len(FIRST)}] AS first,
                            ({last})[1 + (i / 7) %% {len(LAST)}] AS last) AS n
            """,
            [shop.pk, CUSTOMERS],
        )
        cursor.execute(
            """
            INSERT INTO ledger_account (shop_id, customer_id, currency, balance, debt, deposit,
                reserved, version, credit_limit, opened_at)
            SELECT c.shop_id, c.id, 'EUR', d.deposit - d.debt, d.debt, d.deposit, 0, 0,
                CASE WHEN c.id %% 5 = 0 THEN 0 WHEN c.id %% 3 = 0 THEN NULL ELSE 30000 END, now()
            FROM customers_customer c,
            LATERAL (SELECT CASE WHEN c.id %% 3 = 0 THEN (c.id * 7919) %% 50000 ELSE 0 END AS debt,
                            CASE WHEN c.id %% 4 = 0 THEN (c.id * 104729) %% 20000 ELSE 0 END
                                AS deposit) AS d
            WHERE c.shop_id = %s
            """,
            [shop.pk],
        )
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("ANALYZE ledger_account")
    print(f"built {CUSTOMERS:,} customers with accounts in {time.perf_counter() - started:.1f} s")
    return shop.pk


RAW_SELECT = """
SELECT c.id, c.name, c.company, c.email, c.phone, a.balance, a.credit_limit
FROM customers_customer c
LEFT JOIN ledger_account a
    ON a.customer_id = c.id AND a.shop_id = c.shop_id AND a.currency = 'EUR'
WHERE c.shop_id = %s {where}
ORDER BY {order}
LIMIT 50
"""
RAW_COUNT = """
SELECT count(*) FROM customers_customer c
LEFT JOIN ledger_account a
    ON a.customer_id = c.id AND a.shop_id = c.shop_id AND a.currency = 'EUR'
WHERE c.shop_id = %s {where}
"""

SCENARIOS = [
    # name, list query params, raw WHERE, raw ORDER BY, raw params
    (
        "search 'martin 12'",
        {"q": "martin 12"},
        "AND c.search_text LIKE %s AND c.search_text LIKE %s",
        "c.name, c.id",
        ["%martin%", "%12%"],
    ),
    ("sort by balance", {"sort": "balance"}, "", "a.balance ASC NULLS LAST, c.id", []),
    (
        "owes money, largest debt first",
        {"filter": "owes", "sort": "balance"},
        "AND a.balance < 0",
        "a.balance ASC NULLS LAST, c.id",
        [],
    ),
    (
        "search 'bistrot' + owes money",
        {"q": "bistrot", "filter": "owes", "sort": "-balance"},
        "AND c.search_text LIKE %s AND a.balance < 0",
        "a.balance DESC NULLS LAST, c.id DESC",
        ["%bistrot%"],
    ),
]


def _median_ms(work: Callable[[], object]) -> float:
    work()  # warm the plan and the cache
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    _setup()
    from django.core.paginator import Paginator
    from django.db import connection

    from ardoise.shops.models import Shop
    from ardoise.staff.customers import selectors

    shop = Shop.objects.get(pk=_build())
    print(f"{'scenario':34} {'rows':>7} {'ORM ms':>8} {'raw ms':>8} {'ratio':>6}")
    for name, params, where, order, raw_params in SCENARIOS:
        query = selectors.list_query(
            params, sorts=selectors.CUSTOMER_SORTS, filters=selectors.CUSTOMER_FILTERS
        )

        def orm(query: selectors.ListQuery = query) -> tuple[int, list[object]]:
            page = Paginator(selectors.customer_rows(shop, query), selectors.PAGE_SIZE).page(1)
            return page.paginator.count, list(page.object_list)

        def raw(where: str = where, order: str = order, extra: list[str] = raw_params) -> int:
            with connection.cursor() as cursor:
                cursor.execute(RAW_COUNT.format(where=where), [shop.pk, *extra])
                (count,) = cursor.fetchone()
                cursor.execute(RAW_SELECT.format(where=where, order=order), [shop.pk, *extra])
                cursor.fetchall()
            return int(count)

        count, _rows = orm()
        assert count == raw(), name
        orm_ms, raw_ms = _median_ms(orm), _median_ms(raw)
        print(f"{name:34} {count:>7,} {orm_ms:>8.1f} {raw_ms:>8.1f} {orm_ms / raw_ms:>6.2f}")


if __name__ == "__main__":
    main()
