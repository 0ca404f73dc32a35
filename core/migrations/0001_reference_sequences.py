from django.db import migrations

PREFIXES = ("ha", "lr", "inc", "re", "cr")


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.RunSQL(
            sql=[f"CREATE SEQUENCE IF NOT EXISTS reference_{p}_seq" for p in PREFIXES],
            reverse_sql=[f"DROP SEQUENCE IF EXISTS reference_{p}_seq" for p in PREFIXES],
        ),
    ]
