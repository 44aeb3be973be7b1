# ruff: noqa: S608 -- SQL built from constants of this file only
# A unit's version also moves when its totals do: every ledger write adds to the
# totals row of its unit and of each unit above it (totals.py), so the version of a
# unit now says "anything a report of this unit shows may have changed", and the
# report pages cache their rendered figures under it (a cached page can only miss).

from django.db import migrations

POSTGRES = """
CREATE OR REPLACE FUNCTION dues_totals_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO dues_unitversion (unit_id, version)
    SELECT DISTINCT u.id, 1 FROM old_rows o JOIN federation_unit u ON u.id = o.unit_id
    ORDER BY u.id
    ON CONFLICT (unit_id) DO UPDATE SET version = dues_unitversion.version + 1;
  ELSE
    INSERT INTO dues_unitversion (unit_id, version)
    SELECT DISTINCT unit_id, 1 FROM new_rows ORDER BY unit_id
    ON CONFLICT (unit_id) DO UPDATE SET version = dues_unitversion.version + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER dues_version_ins AFTER INSERT ON dues_unitperiodtotal
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dues_totals_changed();
CREATE TRIGGER dues_version_upd AFTER UPDATE ON dues_unitperiodtotal
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dues_totals_changed();
CREATE TRIGGER dues_version_del AFTER DELETE ON dues_unitperiodtotal
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dues_totals_changed();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS dues_version_ins ON dues_unitperiodtotal;
DROP TRIGGER IF EXISTS dues_version_upd ON dues_unitperiodtotal;
DROP TRIGGER IF EXISTS dues_version_del ON dues_unitperiodtotal;
DROP FUNCTION IF EXISTS dues_totals_changed();
"""


def _bump(unit: str) -> str:
    # Only for a unit that exists: deleting rows of a unit being deleted must not
    # leave a version pointing nowhere.
    return (
        "INSERT INTO dues_unitversion (unit_id, version) "
        f"SELECT id, 1 FROM federation_unit WHERE id = {unit} "
        "ON CONFLICT (unit_id) DO UPDATE SET version = version + 1;"
    )


SQLITE = [
    ("dues_version_totals_ins", "AFTER INSERT ON dues_unitperiodtotal", "NEW"),
    ("dues_version_totals_upd", "AFTER UPDATE ON dues_unitperiodtotal", "NEW"),
    ("dues_version_totals_del", "AFTER DELETE ON dues_unitperiodtotal", "OLD"),
]
# SQLite empties tables with DELETE (tests flush that way, in any order): a version
# bumped by a trigger after dues_unitversion was emptied, for a unit deleted after
# it, failed the foreign key check at commit. A unit's version goes with the unit.
SQLITE_UNIT_GONE = (
    "CREATE TRIGGER dues_version_unit_gone AFTER DELETE ON federation_unit "
    "BEGIN DELETE FROM dues_unitversion WHERE unit_id = OLD.id; END"
)


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
        elif connection.vendor == "sqlite":
            for name, when, row in SQLITE:
                body = _bump(f"{row}.unit_id")
                cursor.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
            cursor.execute(SQLITE_UNIT_GONE)


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        elif connection.vendor == "sqlite":
            for name, _when, _row in SQLITE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TRIGGER IF EXISTS dues_version_unit_gone")


class Migration(migrations.Migration):
    dependencies = [("dues", "0009_ledger_truncate_and_app_role")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
