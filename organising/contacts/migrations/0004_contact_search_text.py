"""One searched text per contact (folded name, e-mail, the phone's national digits)
under one trigram index on PostgreSQL, replacing the name-only one; a name-order
index for officers' lists across a subtree. Existing rows are filled here."""

import re
import unicodedata

from django.db import migrations, models

_DIGITS = re.compile(r"\D+")


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def fill(apps, schema_editor):
    contact_model = apps.get_model("contacts", "Contact")
    batch = []
    for contact in contact_model.objects.only(
        "pk", "search_name", "email", "phone"
    ).iterator(chunk_size=2000):
        digits = _DIGITS.sub("", contact.phone or "")
        digits = "0" + digits[2:] if digits.startswith("33") else digits
        contact.search_text = " ".join(
            filter(None, [contact.search_name, contact.email, digits])
        )[:420]
        batch.append(contact)
        if len(batch) >= 2000:
            contact_model.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        contact_model.objects.bulk_update(batch, ["search_text"])


def trigram(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS contact_search_name_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS contact_search_text_trgm "
            "ON contacts_contact USING gin (search_text gin_trgm_ops)"
        )


def trigram_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS contact_search_text_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS contact_search_name_trgm "
            "ON contacts_contact USING gin (search_name gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_contact_imports")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="search_text",
            field=models.CharField(default="", editable=False, max_length=420),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["search_name", "id"], name="contact_name_order"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(trigram, trigram_back),
    ]
