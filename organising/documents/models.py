"""Shared documents: a Markdown text in a unit's (or a group's) folder, every save a
revision, comments anchored to a passage, amendments, files beside it.

Revisions are stored compactly (`Revision.snapshot` every SNAPSHOT_EVERY revisions,
otherwise the line delta from the revision before): 2,000 revisions of a 500 KB text
take a few megabytes, not a gigabyte. `Document.body` holds the current text whole.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federation.models import AudienceFields, Group, Unit
from organising.files import RandomName

BODY_MAX_BYTES = 1_000_000
SNAPSHOT_EVERY = 50


class SearchVectorColumn(models.Field):
    """A tsvector column (PostgreSQL), a plain column SQLite never fills. Our own
    field rather than django.contrib.postgres's, which asks for that app."""

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class Folder(models.Model):
    """A folder of a unit's documents (one level: "Tracts", "Comptes rendus")."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "name"], name="documents_folder_name_per_unit"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Document(AudienceFields):
    """A text written together. Who reads it: its audience fields; who edits it:
    `editors` (read by `federation.access`)."""

    class Editors(models.TextChoices):
        AUTHOR = "author", _("its author (and the officers)")
        OFFICERS = "officers", _("the unit's officers")
        AUDIENCE = "audience", _("every member who reads it")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The unit or the group whose documents these are (exactly one).
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    folder = models.ForeignKey(
        Folder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
        verbose_name=_("folder"),
    )
    title = models.CharField(_("title"), max_length=200)
    editors = models.CharField(
        _("who may edit"), max_length=8, choices=Editors, default=Editors.AUTHOR
    )
    body = models.TextField(_("text (Markdown)"), blank=True)
    # The current revision's number (0 before the first save).
    revision_number = models.PositiveIntegerField(default=0, editable=False)
    # clean_html() of the rendered body, for `html_revision` (rendered when first
    # read after a save, so that saving stays fast).
    body_html = models.TextField(blank=True, editable=False)
    html_revision = models.PositiveIntegerField(default=0, editable=False)
    # Open for amendments until then (None: not open).
    amendments_until = models.DateTimeField(
        _("amendments open until"), null=True, blank=True
    )
    # PostgreSQL: the French full-text vector of the title and text (kept by the
    # services, GIN-indexed by migration 0002); unused on SQLite.
    search_vector = SearchVectorColumn(null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(AudienceFields.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            *AudienceFields.Meta.constraints,
            models.CheckConstraint(
                condition=Q(unit__isnull=False, group__isnull=True)
                | Q(unit__isnull=True, group__isnull=False),
                name="documents_document_unit_or_group",
            ),
            models.CheckConstraint(
                condition=Q(editors__in=["author", "officers", "audience"]),
                name="documents_document_editors_known",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "folder", "title"], name="documents_by_unit")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:document", kwargs={"public_id": self.public_id})

    @property
    def uri(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def owner_unit(self) -> Unit:
        """The unit whose officers run the document (a group's unit for a group's)."""
        return self.unit if self.unit_id else self.group.unit

    @property
    def amendments_open(self) -> bool:
        return (
            self.amendments_until is not None and self.amendments_until > timezone.now()
        )


class Revision(models.Model):
    """One save of a document: who, when, why, from which revision."""

    class Origin(models.TextChoices):
        EDIT = "edit", _("edit")
        MERGE = "merge", _("merged with a concurrent save")
        RESTORE = "restore", _("restored")
        AMENDMENT = "amendment", _("amendment applied")
        LIVE = "live", _("live editing checkpoint")

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # The revision the editor started from (None for the first).
    base_number = models.PositiveIntegerField(null=True, blank=True)
    origin = models.CharField(max_length=9, choices=Origin, default=Origin.EDIT)
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    amendment = models.ForeignKey(
        "Amendment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    # The whole text (every SNAPSHOT_EVERY revisions), or the delta from revision
    # number - 1: [[first line, end line, [new lines]], ...] in ascending order.
    snapshot = models.TextField(null=True, blank=True)
    delta = models.JSONField(null=True, blank=True)
    length = models.PositiveIntegerField(default=0)  # characters of the text

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="documents_revision_number_once"
            ),
            models.CheckConstraint(
                condition=Q(snapshot__isnull=False) | Q(delta__isnull=False),
                name="documents_revision_snapshot_or_delta",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} r{self.number}"


class Draft(models.Model):
    """A save that collided with another on the same lines: the editor's whole text,
    kept until they save again, so that nothing they wrote is lost."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="drafts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    base_number = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["document", "author"], name="documents_draft_once"
            )
        ]

    def __str__(self) -> str:
        return f"draft of {self.author_id} on {self.document_id}"


class Comment(models.Model):
    """A comment on a passage (its quote and where it started in the revision read),
    or a reply to one. Resolved on the thread's first comment."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    revision_number = models.PositiveIntegerField(default=0)
    quote = models.CharField(_("passage"), max_length=1000, blank=True)
    offset = models.PositiveIntegerField(_("position"), default=0)
    body = models.TextField(_("comment"), max_length=5000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.document_id}"


class Amendment(models.Model):
    """A proposed change to a passage, with its lifecycle (TRANSITIONS)."""

    class Kind(models.TextChoices):
        REPLACE = "replace", _("replace")
        INSERT = "insert", _("insert after")
        DELETE = "delete", _("delete")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        VOTING = "voting", _("sent to a vote")
        WITHDRAWN = "withdrawn", _("withdrawn")

    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PROPOSED: frozenset(
            {Status.ACCEPTED, Status.REJECTED, Status.VOTING, Status.WITHDRAWN}
        ),
        Status.VOTING: frozenset({Status.ACCEPTED, Status.REJECTED}),
        Status.ACCEPTED: frozenset(),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="amendments"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Proposed by a unit on behalf of its members (a cell's adopted amendment sent up).
    on_behalf_of = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The amendment of a document below that this one carries up (submitted).
    submitted_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=7, choices=Kind)
    status = models.CharField(
        _("status"), max_length=9, choices=Status, default=Status.PROPOSED
    )
    quote = models.TextField(_("passage"), max_length=20000)
    offset = models.PositiveIntegerField(_("position"), default=0)
    text = models.TextField(_("new text"), max_length=20000, blank=True)
    justification = models.TextField(_("justification"), max_length=5000)
    revision_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_revision = models.PositiveIntegerField(null=True, blank=True)
    vote_id = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="documents_amendment_number_once"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "proposed",
                        "accepted",
                        "rejected",
                        "voting",
                        "withdrawn",
                    ]
                ),
                name="documents_amendment_status_known",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["replace", "insert", "delete"]),
                name="documents_amendment_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"amendment {self.number} to {self.document_id}"


class Attachment(models.Model):
    """A file beside a document (PDF, office document, image), under a random name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="attachments"
    )
    # The unit whose quota it counts against (the document's owner unit).
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=RandomName("documents"), max_length=200)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("documents:file", kwargs={"public_id": self.public_id})


class LiveState(models.Model):
    """The live-editing state of a document (a Yjs document holding the text as
    "body"): the compacted snapshot, and the revision the live text started from
    (checkpoints are saved as revisions from it, merged with other saves)."""

    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, related_name="live"
    )
    snapshot = models.BinaryField()
    base_revision = models.PositiveIntegerField()
    # Updates up to this LiveUpdate id are in the snapshot.
    compacted_to = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"live state of {self.document_id}"


class LiveUpdate(models.Model):
    """One Yjs update from an editor, stored as it arrives (a restart loses none)."""

    id = models.BigAutoField(primary_key=True)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="live_updates"
    )
    update = models.BinaryField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["document", "id"], name="documents_live_updates")
        ]

    def __str__(self) -> str:
        return f"live update {self.pk} of {self.document_id}"
