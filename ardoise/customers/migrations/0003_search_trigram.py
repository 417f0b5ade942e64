"""Trigram indexes for the customer search (PostgreSQL only; SQLite scans, which is fine there).

`icontains` on PostgreSQL compares `UPPER(field::text) LIKE UPPER('%word%')`; a GIN trigram
index on that exact expression answers it without a sequential scan.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FIELDS = ("name", "company", "email", "phone")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{field}_trgm ON customers_customer "
            f"USING gin ((UPPER({field}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for field in FIELDS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{field}_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
