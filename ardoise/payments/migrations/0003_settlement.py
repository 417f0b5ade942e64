# Settlement moves from invoicing to payments (issue 9). The table keeps its name and its rows:
# this migration only tells Django's state that the model now belongs to payments; the database
# is not touched (invoicing 0002 removes the model from invoicing's state). The content type is
# relabelled so that anything pointing at it keeps pointing at the same model.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _relabel(apps, schema_editor, source, target):
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    if not content_types.filter(app_label=target, model="settlement").exists():
        content_types.filter(app_label=source, model="settlement").update(app_label=target)


def forwards(apps, schema_editor):
    _relabel(apps, schema_editor, "invoicing", "payments")


def backwards(apps, schema_editor):
    _relabel(apps, schema_editor, "payments", "invoicing")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('invoicing', '0001_initial'),
        ('ledger', '0003_append_only'),
        ('payments', '0002_online_checkouts'),
        ('shops', '0002_shop_default_payment_mode'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Settlement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('mode', models.CharField(max_length=30)),
                        ('amount', models.BigIntegerField()),
                        ('applied_amount', models.BigIntegerField()),
                        ('sources', models.JSONField(blank=True, default=list)),
                        ('received_on', models.DateField()),
                        ('idempotency_key', models.CharField(max_length=120)),
                        ('status', models.CharField(choices=[('active', 'Active'), ('reversed', 'Reversed')], default='active', max_length=12)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('reversed_at', models.DateTimeField(blank=True, null=True)),
                        ('reversal_reason', models.TextField(blank=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('credit', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='settlement', to='ledger.credit')),
                        ('invoice', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='settlements', to='invoicing.invoice')),
                        ('reversal_entry', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
                        ('shop', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='shops.shop')),
                    ],
                    options={
                        'db_table': 'invoicing_settlement',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['invoice', 'mode', 'status'], name='settlement_cell')],
                        'constraints': [models.UniqueConstraint(fields=('shop', 'idempotency_key'), name='invoicing_settlement_unique_key'), models.CheckConstraint(condition=models.Q(('amount__gt', 0), ('applied_amount__gte', 0)), name='invoicing_settlement_amounts')],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
