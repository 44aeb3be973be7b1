"""Reads of documents that need care: what a member sees, by folder, and search."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from federation import access
from federation.models import Group, Unit

from .models import Document

SEARCH_MAX = 50
LIST_MAX = 200


def visible_documents(user) -> QuerySet[Document]:
    """The documents `user` may read (`document.view`), without their texts."""
    return (
        Document.objects.filter(access.visible_filter(user))
        .select_related("unit", "group", "folder", "audience_unit", "audience_group")
        .defer("body", "body_html", "search_vector")
    )


def owner_documents(user, owner: Unit | Group) -> QuerySet[Document]:
    documents = visible_documents(user)
    if isinstance(owner, Group):
        documents = documents.filter(group=owner)
    else:
        documents = documents.filter(unit=owner)
    return documents.order_by("folder__name", "title", "pk")[:LIST_MAX]


def by_folder(documents) -> list[tuple[object, list[Document]]]:
    """(folder or None, its documents), documents without a folder first."""
    groups: dict = {}
    for document in documents:
        groups.setdefault(document.folder, []).append(document)
    return sorted(groups.items(), key=lambda item: (item[0] is not None, str(item[0])))


def search(user, query: str) -> list[Document]:
    """The visible documents matching `query`: PostgreSQL's French full-text search
    (stemmed: "militants" finds "militant"), ranked; a plain substring match of
    the title or text on SQLite."""
    query = query.strip()[:200]
    if not query:
        return []
    documents = visible_documents(user)
    if connection.vendor == "postgresql":
        from django.db.models.expressions import RawSQL

        match = RawSQL(
            "documents_document.search_vector @@ websearch_to_tsquery('french', %s)",
            [query],
        )
        rank = RawSQL(
            "ts_rank(documents_document.search_vector, "
            "websearch_to_tsquery('french', %s))",
            [query],
        )
        return list(
            documents.alias(matches=match)
            .filter(matches=True)
            .annotate(rank=rank)
            .order_by("-rank", "-updated_at")[:SEARCH_MAX]
        )
    return list(
        documents.filter(Q(title__icontains=query) | Q(body__icontains=query)).order_by(
            "-updated_at"
        )[:SEARCH_MAX]
    )


def amendments_in_place(body: str, amendments) -> tuple[list[dict], list]:
    """The current text cut into pieces around the passages that open amendments
    change: ({"text"} or {"amendment", "old", "new"}) in order; amendments whose
    passage is gone or overlaps an earlier one are returned apart."""
    from .services import _find

    placed, apart = [], []
    for amendment in amendments:
        start = _find(body, amendment.quote, amendment.offset)
        if start is None:
            apart.append(amendment)
        else:
            placed.append((start, start + len(amendment.quote), amendment))
    placed.sort(key=lambda item: (item[0], item[2].number))
    pieces: list[dict] = []
    position = 0
    for start, end, amendment in placed:
        if start < position:
            apart.append(amendment)
            continue
        pieces.append({"text": body[position:start]})
        old = body[start:end]
        if amendment.kind == "insert":
            pieces.append({"text": old})
            old = ""
        new = "" if amendment.kind == "delete" else amendment.text
        pieces.append({"amendment": amendment, "old": old, "new": new})
        position = end
    pieces.append({"text": body[position:]})
    return pieces, apart
