"""A pattern-ops index on Unit.path so that "every unit below" (path LIKE 'prefix%')
is an index range scan on PostgreSQL whatever the database collation. The embedded SQLite default serves small organisations and gets none."""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS federation_unit_path_prefix "
    "ON federation_unit (path varchar_pattern_ops)"
)
DROP = "DROP INDEX IF EXISTS federation_unit_path_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("federation", "0002_initial")]

    operations = [migrations.RunPython(create, drop)]
