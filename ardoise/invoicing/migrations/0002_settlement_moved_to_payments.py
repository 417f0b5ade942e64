# Settlement now belongs to payments (payments 0003 adds it to payments' state on the same
# table). This removes it from invoicing's state only: the table and its rows stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0001_initial'),
        ('payments', '0003_settlement'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name='Settlement')],
        ),
    ]
