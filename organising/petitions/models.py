"""Petitions a unit hosts itself, and their signatures confirmed by e-mail.

A petition's lifecycle (draft, open, closed) is declared once (`Petition.TRANSITIONS`).
A signature counts once its signer followed the e-mailed link (double opt-in); the
petition's `signature_count` is kept by the services in the transaction that confirms
or withdraws, with `version`, which the public page's cache key carries.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federation.models import Unit


class Petition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open for signatures")
        CLOSED = "closed", _("closed to signatures")

    # The lifecycle in one place: which status may follow which.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.OPEN}),
        Status.OPEN: frozenset({Status.CLOSED}),
        Status.CLOSED: frozenset({Status.OPEN}),
    }

    class Location(models.TextChoices):
        """Where the signer lives, as the petition asks it."""

        POSTCODE = "postcode", _("postcode and commune")
        COMMUNE = "commune", _("commune only")
        NONE = "none", _("not asked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=20000)
    # clean_html() output, computed once when the text is written.
    text_html = models.TextField(blank=True, editable=False)
    goal = models.PositiveIntegerField(_("signature goal"), default=1000)
    ends_at = models.DateTimeField(_("end date"), null=True, blank=True)
    location = models.CharField(
        _("location asked"), max_length=8, choices=Location, default=Location.POSTCODE
    )
    ask_phone = models.BooleanField(
        _("ask for a phone number (optional)"), default=False
    )
    # Empty: signers are not asked whether the unit may contact them again.
    consent_text = models.CharField(_("consent line"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=6, choices=Status, default=Status.DRAFT
    )
    # Confirmed signatures; kept by the services under the petition's row lock.
    signature_count = models.PositiveIntegerField(default=0, editable=False)
    # Bumped in the transaction of every change the public page shows (its text,
    # its status...), and `list_version` of every change to the public list of
    # signers: the cache keys of the page and of the list carry them. The count is
    # read with them and never cached.
    version = models.PositiveBigIntegerField(default=1, editable=False)
    list_version = models.PositiveBigIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "closed"]),
                name="petitions_petition_status_known",
            ),
            models.CheckConstraint(
                condition=Q(location__in=["postcode", "commune", "none"]),
                name="petitions_petition_location_known",
            ),
            models.CheckConstraint(
                condition=Q(goal__gte=1), name="petitions_petition_goal_positive"
            ),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="petitions_unit")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("petitions:public", kwargs={"slug": self.slug})

    @property
    def uri(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def is_past_end(self) -> bool:
        return self.ends_at is not None and self.ends_at <= timezone.now()

    @property
    def accepts_signatures(self) -> bool:
        return self.status == self.Status.OPEN and not self.is_past_end

    @property
    def progress_percent(self) -> int:
        return min(100, self.signature_count * 100 // max(self.goal, 1))


class Signature(models.Model):
    """One person's signature; it counts once `confirmed_at` is set. Withdrawing it
    deletes the row (the signer's data goes with it)."""

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="signatures"
    )
    # Lower-cased and stripped: one signature per address and petition.
    email = models.EmailField(_("e-mail address"), max_length=254)
    email_domain = models.CharField(max_length=254, editable=False)
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    # E.164 (+33612345678), or empty.
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The signer agreed that the petition's unit contacts them again.
    consent_contact = models.BooleanField(_("may be contacted again"), default=False)
    # The signer agreed that their first name and commune appear on the page.
    show_publicly = models.BooleanField(_("shown on the page"), default=False)
    # SHA-256 of the e-mailed secret (confirmation and withdrawal links).
    token_hash = models.CharField(max_length=64, unique=True)
    token_expires_at = models.DateTimeField()
    # The signer's client network (IPv4 /24, IPv6 /64), for the officers' surge view.
    network = models.CharField(max_length=50, blank=True)
    # The unit whose contacts received the signer (their cell, or the petition's unit).
    routed_to = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email"], name="petitions_signature_once"
            ),
        ]
        indexes = [
            # Officers' list and the public list: newest confirmed first.
            models.Index(
                fields=["petition", "-confirmed_at", "-id"],
                condition=Q(confirmed_at__isnull=False),
                name="petitions_sig_confirmed",
            ),
            # The cap on unconfirmed signatures per e-mail domain per hour.
            models.Index(
                fields=["email_domain", "created_at"],
                condition=Q(confirmed_at__isnull=True),
                name="petitions_sig_unconfirmed",
            ),
            models.Index(fields=["petition", "created_at"], name="petitions_sig_time"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} ({self.petition_id})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None
