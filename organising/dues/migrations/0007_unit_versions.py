# ruff: noqa: S608 -- SQL built from constants of this file only
# Versions of who counts as an adherent or up to date in each unit's subtree, bumped
# by triggers in the transaction of the change; reports key their cached member
# counts by them (a cached count can only miss).

import django.db.models.deletion
from django.db import migrations, models

STEP, DEPTHS = 4, range(1, 12)  # treebeard's steplen; deeper than any tree here
PREFIXES = ", ".join(f"substr(u.path, 1, {STEP * d})" for d in DEPTHS)
TABLES = ("members_membership", "dues_balance", "dues_exemption")

POSTGRES = f"""
CREATE OR REPLACE FUNCTION dues_bump_units(unit_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO dues_unitversion (unit_id, version)
  SELECT DISTINCT a.id, 1 FROM federation_unit u
  JOIN federation_unit a ON a.path IN ({PREFIXES})
  WHERE u.id = ANY(unit_ids)
  ORDER BY a.id
  ON CONFLICT (unit_id) DO UPDATE SET version = dues_unitversion.version + 1
$$;

CREATE OR REPLACE FUNCTION dues_membership_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM dues_bump_units(ARRAY(SELECT DISTINCT unit_id::bigint FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM dues_bump_units(ARRAY(SELECT DISTINCT unit_id::bigint FROM old_rows));
  ELSE
    PERFORM dues_bump_units(ARRAY(
      SELECT unit_id::bigint FROM new_rows UNION SELECT unit_id::bigint FROM old_rows
    ));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION dues_standing_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'dues_balance' AND TG_OP = 'INSERT' THEN
    PERFORM dues_bump_units(ARRAY(
      SELECT DISTINCT m.unit_id::bigint FROM members_membership m
      JOIN new_rows n ON n.member_id = m.user_id WHERE n.first_unpaid IS NOT NULL
    ));
  ELSIF TG_TABLE_NAME = 'dues_balance' AND TG_OP = 'UPDATE' THEN
    PERFORM dues_bump_units(ARRAY(
      SELECT DISTINCT m.unit_id::bigint FROM members_membership m
      JOIN new_rows n ON n.member_id = m.user_id
      JOIN old_rows o ON o.member_id = n.member_id
      WHERE o.first_unpaid IS DISTINCT FROM n.first_unpaid
    ));
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM dues_bump_units(ARRAY(
      SELECT DISTINCT m.unit_id::bigint FROM members_membership m
      JOIN new_rows n ON n.member_id = m.user_id
    ));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM dues_bump_units(ARRAY(
      SELECT DISTINCT m.unit_id::bigint FROM members_membership m
      JOIN old_rows o ON o.member_id = m.user_id
    ));
  ELSE
    PERFORM dues_bump_units(ARRAY(
      SELECT DISTINCT m.unit_id::bigint FROM members_membership m
      WHERE m.user_id IN (SELECT member_id FROM new_rows
                          UNION SELECT member_id FROM old_rows)
    ));
  END IF;
  RETURN NULL;
END $$;
""" + "".join(
    f"""
CREATE TRIGGER dues_version_ins AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER dues_version_upd AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER dues_version_del AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""
    for table, function in (
        ("members_membership", "dues_membership_changed"),
        ("dues_balance", "dues_standing_changed"),
        ("dues_exemption", "dues_standing_changed"),
    )
)

POSTGRES_DROP = "".join(
    f"DROP TRIGGER IF EXISTS dues_version_{op} ON {table};\n"
    for table in TABLES
    for op in ("ins", "upd", "del")
) + (
    "DROP FUNCTION IF EXISTS dues_standing_changed(); "
    "DROP FUNCTION IF EXISTS dues_membership_changed(); "
    "DROP FUNCTION IF EXISTS dues_bump_units(bigint[]);"
)


def _bump(units: str) -> str:
    return (
        "INSERT INTO dues_unitversion (unit_id, version) "
        "SELECT a.id, 1 FROM federation_unit a, federation_unit u "
        f"WHERE u.id IN ({units}) AND a.path IN ({PREFIXES}) "
        "ON CONFLICT (unit_id) DO UPDATE SET version = version + 1;"
    )


def _of_member(column: str) -> str:
    return f"SELECT unit_id FROM members_membership WHERE user_id = {column}"


SQLITE = [
    (
        "dues_version_membership_ins",
        "AFTER INSERT ON members_membership",
        _bump("NEW.unit_id"),
    ),
    (
        "dues_version_membership_upd",
        "AFTER UPDATE ON members_membership",
        _bump("NEW.unit_id, OLD.unit_id"),
    ),
    (
        "dues_version_membership_del",
        "AFTER DELETE ON members_membership",
        _bump("OLD.unit_id"),
    ),
    (
        "dues_version_balance_ins",
        "AFTER INSERT ON dues_balance WHEN NEW.first_unpaid IS NOT NULL",
        _bump(_of_member("NEW.member_id")),
    ),
    (
        "dues_version_balance_upd",
        "AFTER UPDATE ON dues_balance WHEN OLD.first_unpaid IS NOT NEW.first_unpaid",
        _bump(_of_member("NEW.member_id")),
    ),
    (
        "dues_version_exemption_ins",
        "AFTER INSERT ON dues_exemption",
        _bump(_of_member("NEW.member_id")),
    ),
    (
        "dues_version_exemption_upd",
        "AFTER UPDATE ON dues_exemption",
        _bump(_of_member("NEW.member_id")),
    ),
    (
        "dues_version_exemption_del",
        "AFTER DELETE ON dues_exemption",
        _bump(_of_member("OLD.member_id")),
    ),
]


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
        elif connection.vendor == "sqlite":
            for name, when, body in SQLITE:
                cursor.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_DROP)
        elif connection.vendor == "sqlite":
            for name, _when, _body in SQLITE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0006_debits_collected_on_their_date"),
        ("federation", "0004_group_sympathisers_welcome"),
        ("members", "0003_avatar_random_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="UnitVersion",
            fields=[
                (
                    "unit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="federation.unit",
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "unit version",
                "verbose_name_plural": "unit versions",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
