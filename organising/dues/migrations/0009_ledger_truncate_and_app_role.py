"""The ledger refuses TRUNCATE too (a BEFORE TRUNCATE trigger), and the role the
application connects as in production (DUES_DB_APP_ROLE, "maillage_app": see
deploy/postgres/roles.sql) may only read and add to it. That role owns nothing, so
it can neither disable the triggers (ALTER TABLE needs the owner) nor set
session_replication_role (a superuser's setting).

The test suite empties tables between transactional tests with TRUNCATE: its
connections set `dues.allow_truncate = on` (tests/conftest.py); nothing else does."""

from django.conf import settings
from django.db import migrations

TABLES = ("dues_ledgerentry", "dues_ledgerline")

FUNCTION = """
CREATE OR REPLACE FUNCTION dues_ledger_no_truncate() RETURNS trigger AS $$
BEGIN
  IF coalesce(current_setting('dues.allow_truncate', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'the dues ledger is append-only: TRUNCATE on % refused',
    TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def app_role_sql(role: str) -> list[str]:
    """What the application role may do with the ledger: read and add, nothing
    else (run again by the tests for a role they create)."""
    tables = ", ".join(TABLES)
    return [
        f'REVOKE ALL ON {tables} FROM "{role}"',
        f'GRANT SELECT, INSERT ON {tables} TO "{role}"',
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION dues_ledger_no_truncate()"
        )
    schema_editor.execute(f"REVOKE ALL ON {', '.join(TABLES)} FROM PUBLIC")
    role = getattr(settings, "DUES_DB_APP_ROLE", "maillage_app")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
    if exists:
        for statement in app_role_sql(role):
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS dues_ledger_no_truncate()")


class Migration(migrations.Migration):
    dependencies = [("dues", "0008_import_background_jobs")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
