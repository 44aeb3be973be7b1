"""What a display name may hold, and when two names read the same.

A name is shown next to everything a member writes, so it must not be able to
reorder the text around it (bidi controls such as the right-to-left override),
hide characters (zero-width ones), pile hundreds of accents on a letter, or pass
for the name of an officer of the member's own units.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# At most this many combining marks on one letter once composed (NFC): enough for
# Vietnamese or IPA, not for "Zalgo" text.
MAX_COMBINING_RUN = 2
_SPACES = re.compile(r"\s+")
# Letters that look alike once transliterated (0 for O, 1 for l).
_LOOKALIKE = str.maketrans({"0": "o", "1": "l"})


def display_name_clean(value: str, *, field: str = "display_name") -> str:
    """The name NFC-normalised with its spaces collapsed, or a ValidationError
    naming `field` when it holds control, format (bidi, zero-width) characters or
    too many combining marks."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", value or "")).strip()
    run = 0
    for char in name:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
            raise ValidationError(
                {
                    field: _(
                        "Names cannot hold invisible or direction-changing "
                        "characters (U+%(code)04X)."
                    )
                    % {"code": ord(char)}
                }
            )
        run = run + 1 if category.startswith("M") else 0
        if run > MAX_COMBINING_RUN:
            raise ValidationError(
                {field: _("Too many accents or marks on one letter.")}
            )
    return name


def name_skeleton(value: str) -> str:
    """What a name looks like, for comparing: compatibility-normalised,
    transliterated (Cyrillic and Greek look-alikes become Latin letters), case
    folded, with only letters and digits kept."""
    text = anyascii(unicodedata.normalize("NFKC", value or "")).casefold()
    return "".join(c for c in text.translate(_LOOKALIKE) if c.isalnum())


def officer_name_check(
    *, user, name: str, unit=None, field: str = "display_name"
) -> None:
    """Refuse a name that reads as the name of another person who holds an office
    at `unit` (by default the member's cell) or at any unit above it."""
    from django.db.models import Q

    from .models import Membership, Role

    skeleton = name_skeleton(name)
    if unit is None and user is not None and user.pk is not None:
        membership = (
            Membership.objects.filter(user=user, ended_on__isnull=True)
            .select_related("unit")
            .first()
        )
        unit = membership.unit if membership else None
    if not skeleton or unit is None:
        return
    officers = Role.objects.filter(
        Q(unit=unit) | Q(unit__path__in=unit.ancestor_paths), ended_on__isnull=True
    )
    if user is not None and user.pk is not None:
        officers = officers.exclude(user=user)
    names = officers.values_list("user__display_name", flat=True)
    if any(name_skeleton(other) == skeleton for other in names):
        raise ValidationError(
            {field: _("This is the name of an officer of your units: choose another.")}
        )
