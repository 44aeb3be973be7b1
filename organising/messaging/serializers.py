"""API shapes of posts, conversations, messages and notifications."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from federation.models import Audience, Group, Unit
from organising.api_fields import id_field

from .images import MAX_IMAGES
from .models import (
    MESSAGE_MAX_LENGTH,
    POST_MAX_LENGTH,
    Conversation,
    Message,
    Notification,
    NotificationSettings,
    Post,
    Reaction,
    Relation,
)


class MemberRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    public_id = serializers.UUIDField()
    display_name = serializers.CharField()


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.SlugField()
    name = serializers.CharField()


class ImageSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    alt = serializers.CharField()

    def get_url(self, image) -> str:
        return image.get_absolute_url()


class SharedPostSerializer(serializers.ModelSerializer):
    """The original of a relay or a boost (None when it was removed)."""

    author = MemberRefSerializer()
    unit = UnitRefSerializer(allow_null=True)
    images = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "uri",
            "author",
            "unit",
            "audience",
            "body",
            "body_html",
            "images",
            "created",
        ]

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, post):
        return ImageSerializer(getattr(post, "image_list", []), many=True).data


class PostSerializer(serializers.ModelSerializer):
    author = MemberRefSerializer()
    unit = UnitRefSerializer(allow_null=True)
    audience_unit = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    audience_group = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    shared = serializers.SerializerMethodField()
    reactions = serializers.SerializerMethodField()
    my_reactions = serializers.SerializerMethodField()
    images = serializers.SerializerMethodField()
    edited = serializers.SerializerMethodField()
    hidden_reason = serializers.SerializerMethodField()

    class Meta:
        model = Post
        fields = [
            "id",
            "uri",
            "kind",
            "author",
            "unit",
            "audience",
            "audience_unit",
            "audience_group",
            "body",
            "body_html",
            "parent",
            "root",
            "shared",
            "reply_count",
            "reactions",
            "my_reactions",
            "images",
            "created",
            "edited",
            "edited_at",
            "hidden_reason",
        ]

    @extend_schema_field(SharedPostSerializer(allow_null=True))
    def get_shared(self, post):
        if not post.shared_id or post.shared is None or post.shared.is_removed:
            return None
        return SharedPostSerializer(post.shared).data

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "integer"}}
    )
    def get_reactions(self, post) -> dict:
        return {
            kind: count
            for kind, _label, count, _mine in getattr(post, "reaction_list", [])
            if count
        }

    def get_my_reactions(self, post) -> list[str]:
        return [
            kind
            for kind, _label, _count, mine in getattr(post, "reaction_list", [])
            if mine
        ]

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, post):
        return ImageSerializer(getattr(post, "image_list", []), many=True).data

    def get_edited(self, post) -> bool:
        return post.edited_at is not None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_hidden_reason(self, post) -> str | None:
        return post.hidden_reason if post.hidden_at else None

    def to_representation(self, post):
        data = super().to_representation(post)
        # A hidden post reads as a placeholder except for those the policy lets see
        # it ("post.see_hidden", marked by the selector that loaded it).
        if post.hidden_at is not None and not getattr(post, "may_see_hidden", False):
            data.update(body="", body_html="", images=[], hidden_reason=None)
        return data


class ThreadSerializer(serializers.Serializer):
    post = PostSerializer(source="focus")
    root = serializers.SerializerMethodField()
    replies = serializers.SerializerMethodField()
    truncated = serializers.BooleanField()

    @extend_schema_field(PostSerializer(allow_null=True))
    def get_root(self, thread):
        """Null when the viewer may not see the post the thread answers."""
        return PostSerializer(thread.root).data if thread.root_visible else None

    @extend_schema_field(PostSerializer(many=True))
    def get_replies(self, thread):
        return PostSerializer(
            [reply for reply, _depth in thread.replies], many=True
        ).data


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=POST_MAX_LENGTH, allow_blank=True, required=False, default=""
    )
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    audience_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True
    )
    audience_group = serializers.PrimaryKeyRelatedField(
        queryset=Group.objects.all(), required=False, allow_null=True
    )
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text="For a public or party-wide post: the unit it is published from.",
    )
    parent = serializers.IntegerField(
        required=False, allow_null=True, help_text="Reply to this post."
    )
    images = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_IMAGES
    )

    def validate(self, data):
        if not data.get("parent") and not data.get("audience"):
            raise serializers.ValidationError({"audience": _("Choose an audience.")})
        return data


class PostEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=POST_MAX_LENGTH)


class ReactionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Reaction.Kind.choices)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RelaySerializer(serializers.Serializer):
    audience = serializers.ChoiceField(
        choices=Audience.choices, help_text="unit, unit_tree or officers"
    )
    audience_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    body = serializers.CharField(
        max_length=POST_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class RelationSerializer(serializers.Serializer):
    member = serializers.UUIDField(help_text="public_id of the member")
    kind = serializers.ChoiceField(choices=Relation.Kind.choices)


class ConversationSerializer(serializers.ModelSerializer):
    people = MemberRefSerializer(many=True)
    unread = serializers.IntegerField()

    class Meta:
        model = Conversation
        fields = [
            "id",
            "title",
            "is_group",
            "people",
            "unread",
            "created",
            "last_message_at",
        ]


class ConversationCreateSerializer(serializers.Serializer):
    people = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=49,
        help_text="public_ids",
    )
    title = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    body = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class MessageSerializer(serializers.ModelSerializer):
    author = MemberRefSerializer(allow_null=True)

    class Meta:
        model = Message
        fields = ["id", "conversation", "author", "body", "body_html", "created"]


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)
    client_key = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="Any unique string: a retried send with the same key is stored once.",
    )


class NotificationSerializer(serializers.ModelSerializer):
    actor = MemberRefSerializer(allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "actor", "post", "text", "created", "read_at"]


class NotificationReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=id_field(), required=False, help_text="All when omitted."
    )


class CountsSerializer(serializers.Serializer):
    notifications = serializers.IntegerField()
    messages = serializers.IntegerField()


class NotificationSettingsSerializer(serializers.Serializer):
    email = serializers.ChoiceField(choices=NotificationSettings.Email.choices)
