from django.db import migrations

from ardoise.core.append_only import make_append_only


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_initial")]

    operations = [make_append_only("ledger_journal_entry", "ledger_posting", "ledger_allocation")]
