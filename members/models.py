"""Accounts, profiles, memberships with periods, roles, invitations, join requests and
API tokens."""

import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from federation.models import Unit
from organising.files import RandomName


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account. E-mail is the login; the profile lives here too."""

    SHAREABLE_FIELDS = ("commune", "phone", "email", "bio", "avatar")

    email = models.EmailField(_("e-mail address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # A random name: served only by views.member_avatar, to whom it is shared with.
    avatar = models.ImageField(_("avatar"), upload_to=RandomName("avatars"), blank=True)
    bio = models.TextField(_("bio"), max_length=1000, blank=True)
    # The profile fields the member lets other members see.
    shared_fields = models.JSONField(_("fields other members may see"), default=list)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Changing it ends every session at once (it is part of the session auth hash).
    security_stamp = models.CharField(
        max_length=32, default=new_security_stamp, editable=False
    )
    # Versions that caches are keyed by (federation.viewer_cache): each is replaced in
    # the transaction that changes what it covers, and read with the user's row, so a
    # cache that missed a change, or came back from an old snapshot, can only miss.
    # What the member may see (memberships, offices, groups, follows, blocks):
    context_version = models.BigIntegerField(default=0, editable=False)
    # Their unread notifications and messages:
    counts_version = models.BigIntegerField(default=0, editable=False)
    # Their sessions (one ended: cached copies of the others are checked again):
    sessions_version = models.BigIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("member account")
        verbose_name_plural = _("member accounts")

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.display_name

    @property
    def avatar_url(self) -> str:
        """The picture's access-checked address (views.member_avatar); it changes
        with the picture, so browsers may keep it long."""
        if not self.avatar:
            return ""
        version = hashlib.sha256(self.avatar.name.encode()).hexdigest()[:12]
        path = reverse("members:member_avatar", kwargs={"public_id": self.public_id})
        return f"{path}?v={version}"

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "members.User.session",
            f"{self.password}:{self.security_stamp}",
            algorithm="sha256",
        ).hexdigest()


class MembershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_on__isnull=True)


class Membership(models.Model):
    """A period during which a person belongs to a home cell."""

    class Status(models.TextChoices):
        ADHERENT = "adherent", _("adherent")
        SYMPATHISER = "sympathiser", _("sympathiser")

    class EndReason(models.TextChoices):
        TRANSFER = "transfer", _("transferred")
        LEFT = "left", _("former member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    status = models.CharField(_("status"), max_length=12, choices=Status)
    started_on = models.DateField(_("since"), default=timezone.localdate)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-started_on", "-pk"]
        constraints = [
            # The database itself refuses a second home cell.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(ended_on__isnull=True),
                name="membership_one_home_cell",
            )
        ]
        indexes = [models.Index(fields=["unit", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class Role(models.Model):
    """An office held at a unit; it applies to the unit and all its descendants."""

    class Kind(models.TextChoices):
        SECRETARY = "secretary", _("secretary")
        TREASURER = "treasurer", _("treasurer")
        OFFICER = "officer", _("officer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("role"), max_length=10, choices=Kind)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "unit", "kind"],
                condition=Q(ended_on__isnull=True),
                name="role_held_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.unit}"


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mailed link that lets a person set a password and land in a cell."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        REVOKED = "revoked", _("revoked")

    email = models.EmailField(_("e-mail address"))
    display_name = models.CharField(_("name"), max_length=120, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="invitations")
    status = models.CharField(
        _("membership status"),
        max_length=12,
        choices=Membership.Status,
        default=Membership.Status.ADHERENT,
    )
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email

    @property
    def is_usable(self) -> bool:
        return self.state == self.State.PENDING and self.expires_at > timezone.now()


class Application(models.Model):
    """A visitor's request to join, decided by the secretary of the unit it targets."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="applications"
    )
    email = models.EmailField(_("e-mail address"))
    display_name = models.CharField(_("first and last name"), max_length=120)
    postcode = models.CharField(_("postcode"), max_length=10)
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                condition=Q(state="pending"),
                name="application_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.display_name} → {self.unit}"


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once."""

    PREFIX = "mlg_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
