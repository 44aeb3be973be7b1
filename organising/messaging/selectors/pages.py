"""Messaging selectors: pages and cursors."""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
THREAD_LIMIT = 300
CATCH_UP_LIMIT = 50
POST_RELATED = (
    "author",
    "unit",
    "audience_group",
    "shared",
    "shared__author",
    "shared__unit",
)


# --- Cursors ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A position in a newest-first list: (created, id) of the last item shown."""

    created: datetime
    id: int

    def encode(self) -> str:
        micros = int(self.created.timestamp() * 1_000_000)
        return (
            base64.urlsafe_b64encode(f"{micros}.{self.id}".encode())
            .decode()
            .rstrip("=")
        )

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor | None":
        if not raw:
            return None
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
            micros, pk = text.split(".")
            created = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
            return cls(created=created, id=int(pk))
        except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
            raise ValidationError({"cursor": _("This cursor is not valid.")}) from None

    @classmethod
    def after(cls, item) -> "Cursor":
        return cls(created=item.created, id=item.pk)


def _before(rows: QuerySet, cursor: Cursor | None) -> QuerySet:
    if cursor is None:
        return rows
    # The redundant `created <= c` bounds the index range; the OR breaks ties.
    return rows.filter(created__lte=cursor.created).filter(
        Q(created__lt=cursor.created) | Q(created=cursor.created, id__lt=cursor.id)
    )


@dataclass
class Page:
    items: list
    next_cursor: Cursor | None

    @property
    def next(self) -> str | None:
        return self.next_cursor.encode() if self.next_cursor else None


def _page(rows: QuerySet, cursor: Cursor | None, size: int) -> Page:
    size = max(1, min(size, MAX_PAGE_SIZE))
    items = list(_before(rows, cursor).order_by("-created", "-id")[: size + 1])
    more = len(items) > size
    items = items[:size]
    return Page(
        items=items, next_cursor=Cursor.after(items[-1]) if more and items else None
    )
