"""The API takes only what its schema says.

DRF's CharField turns a JSON number or boolean into a string ("bio": 0 becomes "0"),
although the schema it describes says `type: string`; `refuse_non_strings()` (run once
at start, organising.apps) makes every string field answer 400 instead.
"""

from rest_framework import serializers

# The largest id PostgreSQL and SQLite store (bigint): a larger one is a 400, not a
# database error.
MAX_ID = 2**63 - 1


def id_field(**kwargs) -> serializers.IntegerField:
    """A row id: a whole number from 1 to MAX_ID."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def refuse_non_strings() -> None:
    """Every CharField (and EmailField, SlugField, …) accepts strings only."""
    original = serializers.CharField.to_internal_value
    if getattr(original, "refuses_non_strings", False):
        return

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.refuses_non_strings = True
    serializers.CharField.to_internal_value = to_internal_value
