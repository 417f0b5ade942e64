from django.db import migrations

from ardoise.core.append_only import make_append_only


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [make_append_only("audit_event")]
