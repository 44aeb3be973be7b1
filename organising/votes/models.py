"""Votes: a motion, a single or multiple choice, or a ranked ballot (Schulze for one
winner, STV for several seats), with an electorate fixed when the vote opens.

Secrecy is a property of the schema: a `Ballot` has no reference to its voter
(except in a roll-call vote), no time finer than the day, and a random primary key
(a serial id would follow the order of `Participation` rows). Who took part is kept
apart, in `Participation`, whose unique constraint makes "one member, one ballot" a
rule of the database.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federation.models import AudienceFields, Group, Unit

MAX_OPTIONS = 60  # a ballot's choices are a bit set in one BIGINT


class Vote(AudienceFields):
    """A question put to an electorate: a unit (and below), a group, officers."""

    class Kind(models.TextChoices):
        MOTION = "motion", _("motion (for, against, abstain)")
        SINGLE = "single", _("single choice")
        MULTIPLE = "multiple", _("multiple choice")
        RANKED = "ranked", _("ranked choice")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    # The lifecycle in one place: which status may follow which. Closing is final.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.DRAFT: frozenset({Status.OPEN}),
        Status.OPEN: frozenset({Status.CLOSED}),
        Status.CLOSED: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The unit whose officers run the vote (a group's unit for a group's vote).
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A meeting in which the vote is held (optional).
    event = models.ForeignKey(
        "agenda.Event",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who asked for the vote, for the capability that did ("documents.amendment:12").
    subject = models.CharField(max_length=200, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind, default=Kind.MOTION)
    status = models.CharField(
        _("status"), max_length=6, choices=Status, default=Status.DRAFT
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), max_length=20000, blank=True)
    # clean_html() output, computed once when the text is written.
    text_html = models.TextField(blank=True, editable=False)
    # Multiple choice: at most this many options on one ballot.
    max_choices = models.PositiveSmallIntegerField(
        _("at most this many choices"), null=True, blank=True
    )
    # Ranked choice: 1 seat is counted by Schulze, more by STV.
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    # Quorum: a share (percent) of the electorate or a number of ballots; or none.
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (percent of the electorate)"), null=True, blank=True
    )
    quorum_count = models.PositiveIntegerField(
        _("quorum (number of voters)"), null=True, blank=True
    )
    secret = models.BooleanField(_("secret ballot"), default=True)
    results_while_open = models.BooleanField(
        _("results visible while open"), default=False
    )
    adherents_only = models.BooleanField(_("adherents only"), default=True)
    dues_required = models.BooleanField(
        _("only members whose dues are up to date on the opening day"), default=False
    )
    allow_change = models.BooleanField(
        _("a voter may change their ballot until closing"), default=False
    )
    max_proxies = models.PositiveSmallIntegerField(
        _("proxies one member may hold"), default=2
    )
    # Each ballot weighs its elector's weight (delegates to a congress).
    weighted = models.BooleanField(_("weighted ballots (delegates)"), default=False)
    electorate_size = models.PositiveIntegerField(default=0, editable=False)
    # Electors per ballot unit ({unit id: count}), fixed at opening with the rest.
    electorate_by_unit = models.JSONField(default=dict, blank=True, editable=False)
    # The count, kept when the vote closes (closing is final).
    result = models.JSONField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(AudienceFields.Meta):
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            *AudienceFields.Meta.constraints,
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="votes_vote_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "closed"]),
                name="votes_vote_status_known",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=["unit", "unit_tree", "group", "officers"]),
                name="votes_vote_audience_is_an_electorate",
            ),
            models.CheckConstraint(
                condition=Q(quorum_percent__isnull=True) | Q(quorum_percent__lte=100),
                name="votes_vote_quorum_percent",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "opens_at"], name="votes_vote_to_open"),
            models.Index(fields=["status", "closes_at"], name="votes_vote_to_close"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("votes:vote", kwargs={"public_id": self.public_id})

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def accepts_ballots(self) -> bool:
        return self.is_open and timezone.now() < self.closes_at

    @property
    def quorum_needed(self) -> int:
        """How many voters the quorum asks for (0: no quorum)."""
        needed = self.quorum_count or 0
        if self.quorum_percent:
            share = -(-self.electorate_size * self.quorum_percent // 100)  # ceiling
            needed = max(needed, share)
        return needed


class Option(models.Model):
    """One answer a ballot may choose (a candidate for a ranked vote)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(_("option"), max_length=200)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "position"], name="votes_option_position"
            ),
            models.CheckConstraint(
                condition=Q(position__lt=MAX_OPTIONS), name="votes_option_fits_mask"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Weight(models.Model):
    """A delegate's weight in a weighted vote (the members they represent), set
    before the vote opens; copied into the electorate at opening."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="weights")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    weight = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "member"], name="votes_weight_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} × {self.weight}"


class Elector(models.Model):
    """One member of the electorate, as they stood when the vote opened."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="electors")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The member's home cell at opening.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    # The unit their ballot is counted under in the breakdown: the cell, or for a
    # secret vote the first unit above it with enough electors (see services).
    ballot_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    standing = models.CharField(max_length=12, blank=True)
    weight = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "member"], name="votes_elector_once"
            ),
        ]
        indexes = [models.Index(fields=["vote", "ballot_unit"], name="votes_elector_u")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.vote_id}"


class Participation(models.Model):
    """That an elector's ballot was cast (by them or by their proxy holder). Never
    says which ballot."""

    vote = models.ForeignKey(
        Vote, on_delete=models.CASCADE, related_name="participations"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # The proxy holder who cast it, or None when the elector voted themselves.
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    voted_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            # One member, one ballot: two simultaneous submissions count once.
            models.UniqueConstraint(
                fields=["vote", "member"], name="votes_participation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} voted in {self.vote_id}"


class Ballot(models.Model):
    """A ballot: what was chosen, the unit it is counted under, its receipt code.
    A secret ballot names no voter and carries only the day."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    # The options chosen, as bits of their positions (ranked: the first preference).
    mask = models.BigIntegerField(default=0)
    # Ranked ballots: the positions in order of preference ("2,0,1").
    ranking = models.CharField(max_length=200, blank=True)
    ballot_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    weight = models.PositiveIntegerField(default=1)
    by_proxy = models.BooleanField(default=False)
    cast_on = models.DateField(default=timezone.localdate)
    # Random; the voter keeps it, the list is published after closing.
    receipt = models.CharField(max_length=16, unique=True)
    # Roll-call votes only: the voter (None in a secret vote, always).
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["vote", "ballot_unit", "mask"], name="votes_ballot_u")
        ]

    def __str__(self) -> str:
        return f"ballot {self.receipt}"

    @property
    def positions(self) -> list[int]:
        if self.ranking:
            return [int(p) for p in self.ranking.split(",")]
        return [p for p in range(MAX_OPTIONS) if self.mask >> p & 1]


class Proxy(models.Model):
    """A member of the electorate lets another cast their ballot in one vote."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="proxies")
    giver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    used_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("proxies")
        constraints = [
            models.UniqueConstraint(
                fields=["vote", "giver"],
                condition=Q(withdrawn_at__isnull=True),
                name="votes_proxy_one_per_giver",
            ),
            models.CheckConstraint(
                condition=~Q(giver=models.F("holder")), name="votes_proxy_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.giver_id} → {self.holder_id}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None and self.used_on is None
