"""The ledger is append-only: PostgreSQL refuses any UPDATE or DELETE of its entries
and lines, whoever sends it. SQLite, the embedded default, relies on the services
alone. (TRUNCATE is left to the tables' owner: Django's test flush uses it.)"""

from django.db import migrations

TABLES = ("dues_ledgerentry", "dues_ledgerline")

FUNCTION = """
CREATE OR REPLACE FUNCTION dues_ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the dues ledger is append-only: % on % refused (record a reversing entry instead)',
    TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION dues_ledger_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS dues_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
