"""REST endpoints of messaging under /api/v1/: timelines (keyset cursor), posts and
their threads, reactions, relays, boosts, reports, conversations and messages,
notifications. Views parse, fetch through the policy, call one service."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from federation import access
from federation.models import Group, Unit
from members.models import User

from . import selectors, services
from .models import NotificationSettings
from .serializers import (
    ConversationCreateSerializer,
    ConversationSerializer,
    CountsSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    NotificationReadSerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    PostCreateSerializer,
    PostEditSerializer,
    PostSerializer,
    ReactionSerializer,
    ReasonSerializer,
    RelationSerializer,
    RelaySerializer,
    ThreadSerializer,
)

CURSOR = OpenApiParameter(
    "cursor", str, description="The `next` cursor of the previous page"
)
PAGE_SIZE = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": selectors.MAX_PAGE_SIZE},
    description="Items per page (1-100, default 30)",
)
ID_AFTER = {"type": "integer", "minimum": 0}


def page_of(serializer_class, name: str):
    return inline_serializer(
        name=name,
        fields={
            "next": serializers.CharField(
                allow_null=True, help_text="Cursor of the next page"
            ),
            "results": serializer_class(many=True),
        },
    )


def _cursor(request) -> selectors.Cursor | None:
    return selectors.Cursor.decode(request.query_params.get("cursor"))


def _int_param(request, name: str, *, minimum: int = 0, maximum: int | None = None):
    """An integer query parameter, or None when absent; anything else than a whole
    number in range is a 400 naming the parameter (not silently the default)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = int(raw) if raw.isascii() and raw.isdigit() else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            message = _("Give a whole number, at least %(minimum)d.")
        else:
            message = _("Give a whole number from %(minimum)d to %(maximum)d.")
        raise serializers.ValidationError(
            {name: [message % {"minimum": minimum, "maximum": maximum}]}
        )
    return value


def _size(request) -> int:
    size = _int_param(request, "page_size", minimum=1, maximum=selectors.MAX_PAGE_SIZE)
    return selectors.PAGE_SIZE if size is None else size


def _paged(request, page: selectors.Page, serializer_class) -> Response:
    return Response(
        {"next": page.next, "results": serializer_class(page.items, many=True).data}
    )


class TimelineView(APIView):
    """Newest first; `next` is the cursor of the following (older) page."""

    def timeline(self, request, **kwargs) -> selectors.Page:
        raise NotImplementedError

    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE], responses=page_of(PostSerializer, "PostPage")
    )
    def get(self, request, **kwargs):
        page = self.timeline(
            request, cursor=_cursor(request), size=_size(request), **kwargs
        )
        selectors.decorate(page.items, request.user)
        return _paged(request, page, PostSerializer)


class HomeTimeline(TimelineView):
    """Posts of my cell and every unit above it, my groups, the members I follow."""

    def timeline(self, request, **kwargs):
        return selectors.timeline_home(request.user, **kwargs)


class PublicTimeline(TimelineView):
    """Public posts."""

    def timeline(self, request, **kwargs):
        return selectors.timeline_public(request.user, **kwargs)


class UnitTimeline(TimelineView):
    """What a unit publishes, among what I may see."""

    def timeline(self, request, slug, **kwargs):
        unit = get_object_or_404(Unit, slug=slug)
        return selectors.timeline_unit(request.user, unit, **kwargs)


class GroupTimeline(TimelineView):
    """A group's posts (its members only)."""

    def timeline(self, request, slug, **kwargs):
        group = get_object_or_404(Group, slug=slug)
        if not access.can(request.user, "group.timeline.view", group):
            raise Http404
        return selectors.timeline_group(request.user, group, **kwargs)


class HashtagTimeline(TimelineView):
    """Posts with a hashtag."""

    def timeline(self, request, name, **kwargs):
        return selectors.timeline_hashtag(request.user, name, **kwargs)


class MemberTimeline(TimelineView):
    """A member's posts, among those I may see."""

    def timeline(self, request, public_id, **kwargs):
        person = get_object_or_404(User, public_id=public_id)
        if not access.can(request.user, "member.view", person):
            raise Http404
        return selectors.timeline_author(request.user, person, **kwargs)


class PostList(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={
            "application/json": PostCreateSerializer,
            "multipart/form-data": PostCreateSerializer,
        },
        responses={201: PostSerializer},
    )
    def post(self, request):
        """Publish a post (or a reply with `parent`); images as multipart."""
        data = PostCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        parent = None
        if fields.get("parent"):
            parent = selectors.get_post_or_404(request.user, fields["parent"])
        post = services.post_create(
            author=request.user,
            body=fields.get("body", ""),
            audience=fields.get("audience", ""),
            audience_unit=fields.get("audience_unit"),
            audience_group=fields.get("audience_group"),
            unit=fields.get("unit"),
            parent=parent,
            images=request.FILES.getlist("images"),
        )
        selectors.decorate([post], request.user)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)


class PostDetail(APIView):
    @extend_schema(responses=ThreadSerializer)
    def get(self, request, pk):
        """A post with its thread (root and replies in reading order)."""
        post = selectors.get_post_or_404(request.user, pk)
        return Response(ThreadSerializer(selectors.thread_for(request.user, post)).data)

    @extend_schema(request=PostEditSerializer, responses=PostSerializer)
    def patch(self, request, pk):
        """Edit within 15 minutes (author only)."""
        post = selectors.get_post_or_404(request.user, pk)
        data = PostEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_edit(
            post=post, by=request.user, body=data.validated_data["body"]
        )
        post = selectors.get_post_or_404(request.user, pk)
        selectors.decorate([post], request.user)
        return Response(PostSerializer(post).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        """Delete (author only)."""
        post = selectors.get_post_or_404(request.user, pk)
        services.post_delete(post=post, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostReactions(APIView):
    @extend_schema(request=ReactionSerializer, responses=PostSerializer)
    def post(self, request, pk):
        """Add a reaction (idempotent)."""
        post = selectors.get_post_or_404(request.user, pk)
        data = ReactionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_react(
            post=post, by=request.user, kind=data.validated_data["kind"]
        )
        selectors.decorate([post], request.user)
        return Response(PostSerializer(post).data)


class PostReaction(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, pk, kind):
        """Take a reaction back (idempotent)."""
        post = selectors.get_post_or_404(request.user, pk)
        services.post_react(post=post, by=request.user, kind=kind, on=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostRelay(APIView):
    @extend_schema(request=RelaySerializer, responses={201: PostSerializer})
    def post(self, request, pk):
        """An officer relays a post from a unit below to their unit's audience."""
        post = selectors.get_post_or_404(request.user, pk)
        data = RelaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        relay = services.post_relay(post=post, by=request.user, **data.validated_data)
        relay = selectors.get_post_or_404(request.user, relay.pk)
        selectors.decorate([relay], request.user)
        return Response(PostSerializer(relay).data, status=status.HTTP_201_CREATED)


class PostBoost(APIView):
    @extend_schema(request=None, responses={201: PostSerializer})
    def post(self, request, pk):
        """Boost to the post's own audience (idempotent)."""
        post = selectors.get_post_or_404(request.user, pk)
        boost = services.post_boost(post=post, by=request.user)
        boost = selectors.get_post_or_404(request.user, boost.pk)
        selectors.decorate([boost], request.user)
        return Response(PostSerializer(boost).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        """Take the boost back."""
        post = selectors.get_post_or_404(request.user, pk)
        services.post_boost(post=post, by=request.user, on=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostReport(APIView):
    @extend_schema(
        request=ReasonSerializer,
        responses={
            201: inline_serializer("ReportCreated", {"id": serializers.IntegerField()})
        },
    )
    def post(self, request, pk):
        """Report a post to the officers of its unit."""
        post = selectors.get_post_or_404(request.user, pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.post_report(post=post, by=request.user, **data.validated_data)
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)


class PostHide(APIView):
    @extend_schema(request=ReasonSerializer, responses={204: None})
    def post(self, request, pk):
        """Hide a post (officers of its unit); the reason is shown to the author."""
        post = selectors.get_post_or_404(request.user, pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_hide(
            post=post, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class Relations(APIView):
    @extend_schema(request=RelationSerializer, responses={204: None})
    def post(self, request):
        """Follow, mute or block a member (idempotent)."""
        data = RelationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = get_object_or_404(User, public_id=data.validated_data["member"])
        services.relation_set(
            owner=request.user, target=target, kind=data.validated_data["kind"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RelationDetail(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, kind, public_id):
        """Stop following, muting or blocking."""
        target = get_object_or_404(User, public_id=public_id)
        services.relation_set(owner=request.user, target=target, kind=kind, on=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationList(APIView):
    @extend_schema(
        operation_id="v1_conversations_list",
        parameters=[CURSOR, PAGE_SIZE],
        responses=page_of(ConversationSerializer, "ConversationPage"),
    )
    def get(self, request):
        """My conversations, latest activity first, with unread counts."""
        page = selectors.conversations_for(
            request.user, cursor=_cursor(request), size=_size(request)
        )
        return _paged(request, page, ConversationSerializer)

    @extend_schema(
        request=ConversationCreateSerializer, responses={201: ConversationSerializer}
    )
    def post(self, request):
        """Start a conversation (one per pair for two people; up to 50 in a group)."""
        data = ConversationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["people"]
        people = list(User.objects.filter(public_id__in=ids))
        if len(people) != len(set(ids)):
            raise serializers.ValidationError({"people": [_("Unknown member.")]})
        conversation = services.conversation_start(
            by=request.user,
            people=people,
            title=data.validated_data["title"],
            body=data.validated_data["body"],
        )
        conversation = selectors.conversation_for_participant(
            request.user, conversation.pk
        )
        return Response(
            ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED
        )


class ConversationDetail(APIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request, pk):
        conversation = selectors.conversation_for_participant(request.user, pk)
        return Response(ConversationSerializer(conversation).data)


class ConversationLeave(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk):
        """Leave the conversation."""
        conversation = selectors.conversation_for_participant(request.user, pk)
        services.conversation_leave(conversation=conversation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationRead(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, pk):
        """Mark everything in the conversation as read."""
        conversation = selectors.conversation_for_participant(request.user, pk)
        services.conversation_read(conversation=conversation, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationMessages(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("before", ID_AFTER, description="Messages before this id"),
            OpenApiParameter(
                "since", ID_AFTER, description="Messages after this id (catch-up)"
            ),
        ],
        responses=inline_serializer(
            "MessagePage",
            {
                "before": serializers.IntegerField(allow_null=True),
                "results": MessageSerializer(many=True),
            },
        ),
    )
    def get(self, request, pk):
        """Messages oldest first: the latest page, the one `before` an id, or all
        `since` an id (what a reconnecting client missed)."""
        conversation = selectors.conversation_for_participant(request.user, pk)
        since = _int_param(request, "since")
        before = _int_param(request, "before")
        if since is not None:
            items, _more = selectors.messages_since(conversation, since)
            older = None
        else:
            items, older = selectors.messages_page(conversation, before_id=before)
        return Response(
            {"before": older, "results": MessageSerializer(items, many=True).data}
        )

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    def post(self, request, pk):
        """Write in the conversation."""
        conversation = selectors.conversation_for_participant(request.user, pk)
        data = MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.message_send(
            conversation=conversation, by=request.user, **data.validated_data
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class NotificationList(APIView):
    @extend_schema(
        parameters=[CURSOR, PAGE_SIZE],
        responses=page_of(NotificationSerializer, "NotificationPage"),
    )
    def get(self, request):
        """My notifications, newest first."""
        page = selectors.notifications_page(
            request.user, cursor=_cursor(request), size=_size(request)
        )
        return _paged(request, page, NotificationSerializer)


class NotificationRead(APIView):
    @extend_schema(request=NotificationReadSerializer, responses=CountsSerializer)
    def post(self, request):
        """Mark notifications as read (all when no ids are given)."""
        data = NotificationReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.notifications_read(
            user=request.user, ids=data.validated_data.get("ids")
        )
        return Response(selectors.unread_counts(request.user.pk))


class Counts(APIView):
    @extend_schema(responses=CountsSerializer)
    def get(self, request):
        """Unread notifications and private messages."""
        return Response(selectors.unread_counts(request.user.pk))


class NotificationSettingsView(APIView):
    @extend_schema(responses=NotificationSettingsSerializer)
    def get(self, request):
        row = NotificationSettings.objects.filter(user=request.user).first()
        return Response(
            {"email": row.email if row else NotificationSettings.Email.DAILY}
        )

    @extend_schema(
        request=NotificationSettingsSerializer, responses=NotificationSettingsSerializer
    )
    def put(self, request):
        """How often unread notifications are e-mailed: immediate, daily or none."""
        data = NotificationSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.notification_settings_set(
            user=request.user, email=data.validated_data["email"]
        )
        return Response({"email": row.email})
