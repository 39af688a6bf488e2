from django.db import migrations


def forwards(apps, schema_editor):
    from sinergi.incidents.defaults import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
