"""Automatic allocation is on for every shop (issue 10): existing shops, the demo included, get it
turned on once; a shop that wants it off turns it off again in Settings → Customer accounts."""

from django.db import migrations


def turn_on(apps, schema_editor):  # type: ignore[no-untyped-def]
    Shop = apps.get_model("shops", "Shop")
    Shop.objects.filter(auto_allocate=False).update(auto_allocate=True)


class Migration(migrations.Migration):
    dependencies = [("shops", "0003_sign_in_throttle")]

    operations = [migrations.RunPython(turn_on, migrations.RunPython.noop, elidable=True)]
