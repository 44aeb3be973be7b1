"""Short messages (posts) with audiences, threads, relays and boosts; reactions,
follows, mutes, blocks, reports; private conversations; notifications.

A post is stored once. Who sees it is decided when reading (fan-out on read): its
audience fields say who may see it, `unit` says which unit it is published in, and a
member's home timeline is the posts published in the units of their home chain, in
their groups and by the members they follow, among those they may see.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from federation.models import AudienceFields, Unit
from organising.files import RandomName

EDIT_WINDOW = timedelta(minutes=15)
# The rows timelines read: top-level posts neither deleted nor hidden.
LIVE_ROOT = Q(parent__isnull=True, deleted_at__isnull=True, hidden_at__isnull=True)
POST_MAX_LENGTH = 1000
MESSAGE_MAX_LENGTH = 5000
CONVERSATION_MAX_PEOPLE = 50


class Post(AudienceFields):
    """A short message, a reply (with `parent`), a relay or a boost of another post."""

    class Kind(models.TextChoices):
        POST = "post", _("post")
        RELAY = "relay", _("relay")
        BOOST = "boost", _("boost")

    kind = models.CharField(max_length=5, choices=Kind, default=Kind.POST)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    # The unit the post is published in (its timeline); None for group posts.
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField(_("message"), max_length=POST_MAX_LENGTH, blank=True)
    # clean_html() output, computed once when the body is written.
    body_html = models.TextField(blank=True, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The original of a relay or a boost.
    shared = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    reply_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.CharField(_("reason"), max_length=300, blank=True)
    hashtags = models.ManyToManyField("Hashtag", blank=True, related_name="posts")

    class Meta(AudienceFields.Meta):
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            *AudienceFields.Meta.constraints,
            models.CheckConstraint(
                condition=Q(kind="post") | Q(shared__isnull=False),
                name="messaging_post_share_has_original",
            ),
            # One boost of a post per member: a double click boosts once.
            models.UniqueConstraint(
                fields=["author", "shared"],
                condition=Q(kind="boost", deleted_at__isnull=True),
                name="messaging_post_boost_once",
            ),
        ]
        indexes = [
            # Timelines: newest first inside a unit, a group, an author (keyset).
            models.Index(
                fields=["unit", "-created", "-id"],
                condition=LIVE_ROOT,
                name="msg_post_unit_timeline",
            ),
            models.Index(
                fields=["audience_group", "-created", "-id"],
                condition=LIVE_ROOT,
                name="msg_post_group_timeline",
            ),
            models.Index(
                fields=["author", "-created", "-id"],
                condition=LIVE_ROOT,
                name="msg_post_author_timeline",
            ),
            models.Index(
                fields=["audience", "-created", "-id"],
                condition=LIVE_ROOT,
                name="msg_post_audience_timeline",
            ),
            models.Index(fields=["root", "created", "id"], name="msg_post_thread"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:post", kwargs={"pk": self.pk})

    @property
    def uri(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def is_removed(self) -> bool:
        return self.deleted_at is not None or self.hidden_at is not None

    @property
    def is_editable_now(self) -> bool:
        return (
            self.kind == self.Kind.POST and timezone.now() - self.created <= EDIT_WINDOW
        )

    @property
    def moderation_unit(self) -> Unit | None:
        """The unit whose officers moderate the post."""
        if self.audience_unit_id:
            return self.audience_unit
        if self.unit_id:
            return self.unit
        if self.audience_group_id:
            return self.audience_group.unit
        return None


class PostImage(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    # A random name: the file is reached only through the post (views.post_image).
    image = models.ImageField(
        upload_to=RandomName("posts"), width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.image.name

    def get_absolute_url(self) -> str:
        return reverse(
            "messaging:post_image", kwargs={"pk": self.post_id, "image": self.pk}
        )


class Hashtag(models.Model):
    name = models.CharField(max_length=60, unique=True)  # lower case, without '#'

    def __str__(self) -> str:
        return f"#{self.name}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:hashtag", kwargs={"name": self.name})


class Handle(models.Model):
    """The @name by which a member is mentioned, made from the display name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="handle"
    )
    name = models.CharField(max_length=40, unique=True)

    def __str__(self) -> str:
        return f"@{self.name}"


class Reaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", "👍"
        LOVE = "love", "❤️"
        FIST = "fist", "✊"
        LAUGH = "laugh", "😄"
        SAD = "sad", "😢"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=5, choices=Kind)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "user", "kind"], name="msg_reaction_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.post_id}"


class Report(models.Model):
    """A member's report of a post to the officers of its unit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500)
    created = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="msg_report_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"Report on {self.post_id}"


class Relation(models.Model):
    """One member following, muting or blocking another."""

    class Kind(models.TextChoices):
        FOLLOW = "follow", _("follows")
        MUTE = "mute", _("mutes")
        BLOCK = "block", _("blocks")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relations"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relations_in"
    )
    kind = models.CharField(max_length=6, choices=Kind)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "target"], name="msg_relation_once"
            ),
            models.CheckConstraint(
                condition=~Q(owner=models.F("target")), name="msg_relation_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target", "kind"], name="msg_relation_target")]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.kind} {self.target_id}"


class Conversation(models.Model):
    """A private conversation between two to fifty members."""

    title = models.CharField(_("title"), max_length=120, blank=True)
    is_group = models.BooleanField(default=False)
    # "min_id:max_id" for a one-to-one conversation, so that there is only one.
    pair_key = models.CharField(max_length=50, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("messaging:conversation", kwargs={"pk": self.pk})


class Participant(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="participations",
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    unread = models.PositiveIntegerField(default=0)
    last_read_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "user"], name="msg_participant_once"
            )
        ]
        indexes = [
            models.Index(fields=["user", "left_at"], name="msg_participant_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    # A client-chosen key: a retried send stores the message once.
    client_key = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["conversation", "-id"], name="msg_message_conv")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "author", "client_key"],
                condition=~Q(client_key=""),
                name="msg_message_client_key_once",
            )
        ]

    def __str__(self) -> str:
        return self.body[:40]


class Notification(models.Model):
    class Kind(models.TextChoices):
        MENTION = "mention", _("mentioned you")
        REPLY = "reply", _("replied to you")
        RELAY = "relay", _("relayed your post")
        REPORT = "report", _("reported a post")
        HIDDEN = "hidden", _("hid your post")
        JOIN = "join", _("asks to join")  # text: who, and the unit (members.joining)

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=8, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        Post, null=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-id"],
                condition=Q(read_at__isnull=True),
                name="msg_notification_unread",
            ),
            models.Index(
                fields=["recipient", "-created", "-id"], name="msg_notification_list"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind}"


class NotificationSettings(models.Model):
    class Email(models.TextChoices):
        IMMEDIATE = "immediate", _("Right away")
        DAILY = "daily", _("Once a day")
        NONE = "none", _("Never")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    email = models.CharField(
        _("e-mail me what I have not read"),
        max_length=9,
        choices=Email,
        default=Email.DAILY,
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"


class Stamp(models.Model):
    """The version of one thing stored pages and cards show (`pagecache`): a source
    of timelines ("u12" a unit's posts, "g3" a group's, "a7" a member's, "m7" a
    member's own reactions) or a name ("n:a7", "n:u12", "n:g3"). Replaced in the
    transaction that changes it; a page is served again only while every stamp it
    was built under still holds. A missing row is a version too (never changed)."""

    key = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.key}={self.value}"
