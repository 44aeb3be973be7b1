"""Names sort as a French reader expects: "Éric" with the E's, not after "Zoé".

PostgreSQL sorts with the ICU root collation ("und-x-icu": accents and case only break
ties, as in French dictionaries); on SQLite a collation of the same name, registered on
each new connection, sorts with the same rule in Python. Queries say
`collated("user__display_name")` and run unchanged on both.
"""

import unicodedata

from django.db.models import F
from django.db.models.functions import Collate

FRENCH = "und-x-icu"


def collated(field: str) -> Collate:
    return Collate(F(field), FRENCH)


def sort_key(text: str) -> tuple[str, str, str]:
    """Letters first (accents and case set aside), then accents, then case."""
    text = text or ""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return letters.casefold(), decomposed.casefold(), text


def _compare(left: str, right: str) -> int:
    a, b = sort_key(left), sort_key(right)
    return (a > b) - (a < b)


def register_on_sqlite(sender, connection, **kwargs) -> None:
    """connection_created receiver: give SQLite the collation PostgreSQL has."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(FRENCH, _compare)
