"""Contacts: people around the party who are not (yet) members, kept by a unit.

Personal data that may reveal political opinions (GDPR art. 9): only what following
someone up needs is kept, each contact carries its legal basis (the consents it gave,
with source, date and what each covers), and a contact whose last consent is withdrawn
is erased (`services.contact_erase`), not kept "just in case".
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from federation.models import Unit


class Contact(models.Model):
    """A person a unit met: at the market, door to door, through a petition."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="contacts")
    first_name = models.CharField(_("first name"), max_length=80, blank=True)
    last_name = models.CharField(_("last name"), max_length=80, blank=True)
    # Lower-cased; unique within the unit (a second entry merges into the first).
    email = models.EmailField(_("e-mail address"), max_length=254, blank=True)
    # E.164 (+33612345678), normalised by services.normalise_phone.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("postal address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    # Normalised tags wrapped in commas (",marché,logement,"): one indexed-free
    # `contains` filter that works the same on SQLite and PostgreSQL.
    tags = models.CharField(_("tags"), max_length=500, blank=True)
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("followed up by"),
    )
    notes = models.TextField(_("notes"), max_length=5000, blank=True)
    # "first last" folded to lower-case ASCII: search and duplicate detection.
    search_name = models.CharField(max_length=170, editable=False, db_index=False)
    # What a search looks inside (services.search_text): the folded name, the
    # e-mail address, the phone's national digits (0612345678); one trigram index
    # (PostgreSQL, migration 0004) serves every search.
    search_text = models.CharField(max_length=420, editable=False, default="")
    # Turning the contact into a member: the invitation sent, the account it made.
    invitation = models.ForeignKey(
        "members.Invitation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["search_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "email"],
                condition=~Q(email=""),
                name="contact_one_per_email_in_unit",
            ),
            models.CheckConstraint(
                condition=~Q(first_name="", last_name="", email="", phone=""),
                name="contact_has_name_or_address",
            ),
        ]
        indexes = [
            # The list of a unit, in name order (keyset pages), and its search by
            # name prefix; PostgreSQL adds a trigram index (migration 0002) for
            # searches inside names.
            models.Index(
                fields=["unit", "search_name", "id"], name="contact_unit_name"
            ),
            # Name order across the units one sees (an officer's subtree): walked in
            # order and filtered, instead of sorting every contact of the subtree.
            models.Index(fields=["search_name", "id"], name="contact_name_order"),
            models.Index(fields=["unit", "phone"], name="contact_unit_phone"),
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["follower"], name="contact_follower"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone

    def get_absolute_url(self) -> str:
        return reverse("contacts:detail", kwargs={"public_id": self.public_id})

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split(",") if tag]


class Consent(models.Model):
    """The legal basis of a contact: what they agreed to, where and when."""

    class Covers(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PHONE = "phone", _("phone")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consents"
    )
    # Where it was given: "market", "door to door", "petition:<uuid>", "import"...
    source = models.CharField(_("source"), max_length=120)
    given_at = models.DateTimeField(_("given on"))
    covers_email = models.BooleanField(_("covers e-mail"), default=False)
    covers_phone = models.BooleanField(_("covers phone"), default=False)
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["given_at", "pk"]
        indexes = [models.Index(fields=["contact", "given_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.given_at:%Y-%m-%d}"

    @property
    def covers(self) -> set[str]:
        return {
            kind
            for kind, on in (("email", self.covers_email), ("phone", self.covers_phone))
            if on
        }


class Interaction(models.Model):
    """One moment of the history with a contact."""

    class Kind(models.TextChoices):
        MET = "met", _("met")
        CALLED = "called", _("called")
        EVENT = "event", _("came to an event")
        PETITION = "petition", _("signed a petition")
        JOINED = "joined", _("joined")
        NOTE = "note", _("note")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="interactions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    at = models.DateTimeField(_("when"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["contact", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class ContactShare(models.Model):
    """A member of the unit with whom a contact is shared (they see and follow it)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="shares"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact share")
        verbose_name_plural = _("contact shares")
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "member"], name="contact_shared_once"
            )
        ]
        indexes = [models.Index(fields=["member", "contact"])]

    def __str__(self) -> str:
        return f"{self.contact} → {self.member}"


class ContactImport(models.Model):
    """A CSV or vCard file of contacts: previewed row by row, then applied all at
    once (a large file in the background) with a report per row."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        VCARD = "vcard", "vCard"

    class State(models.TextChoices):
        PREVIEW = "preview", _("waiting for confirmation")
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("in progress")
        DONE = "done", _("imported")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=5, choices=Format)
    filename = models.CharField(max_length=200)
    encoding = models.CharField(max_length=12, default="utf-8")
    state = models.CharField(max_length=10, choices=State, default=State.PREVIEW)
    # What a queued or running background job does: "preview" or "apply".
    job = models.CharField(max_length=8, blank=True)
    # The file until it is applied (then dropped: the contacts hold the data).
    content = models.BinaryField(null=True, blank=True, editable=False)
    consent_source = models.CharField(max_length=120)
    consent_at = models.DateTimeField()
    covers_email = models.BooleanField(default=False)
    covers_phone = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(default=0)
    # {"created": n, "merged": n, "rejected": n}, and the report: one
    # [line, outcome, reason] per row (outcomes: create, merge, reject).
    counts = models.JSONField(default=dict)
    report = models.JSONField(default=list)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("contacts:import", kwargs={"public_id": self.public_id})
