"""PostgreSQL: a trigram index on contacts' folded names, so that a search inside
names ("dupon" in "marie dupont") in a unit of 50,000 contacts reads the index
instead of every row. SQLite has no such index and scans (small databases)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS contact_search_name_trgm "
    "ON contacts_contact USING gin (search_name gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS contact_search_name_trgm"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_contacts_consents_interactions")]

    operations = [migrations.RunPython(forward, backward)]
