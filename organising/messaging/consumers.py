"""The one live WebSocket of a browser tab, at /ws/.

The tab says which stream it shows ({"type": "subscribe", "stream": "home", "since":
<last id seen>, "shown": [ids of the posts on screen]}); the socket joins the
channel-layer groups of that stream and of its user, sends what was missed since that
id and the removal of shown posts gone meanwhile (read from the database, the source
of truth), then passes on new items as they are announced. Every post event is checked
against the user's audience before it is passed on, not only at connection. The
socket closes with 4401 when the session ends, the account is disabled or the token
is revoked (announced, and checked again every MESSAGING_WS_RECHECK_SECONDS).

The socket follows its member: a change of membership, office, status, group, block
or mute is announced to the member's user group once committed
(`federation.viewer_cache.context_changed`); the socket rebuilds its viewer from the
database, leaves the groups it may no longer join and joins the new ones, and asks
the tab to resubscribe ("resync"), which sends what the tab missed and removes what
it may no longer see. The same happens when the channel layer comes back after an
outage (checked every MESSAGING_WS_LAYER_CHECK_SECONDS): what was announced
meanwhile was lost, the database still has it.
"""

import asyncio
import functools
import logging
import time
from collections import deque
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare

from federation import access
from members.models import ApiToken, User
from organising import topics
from organising.live import user_group

from . import selectors, streams
from .models import Conversation, Participant, Post, Relation
from .signals import session_key_digest

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_MANY = 4429
TYPING_INTERVAL = 2.0
SEEN_LIMIT = 200  # events remembered so that one announced twice is sent once
SHOWN_LIMIT = 100  # posts a reconnecting tab may ask about (what it shows)


async def _pump(source, dispatch, lock: asyncio.Lock) -> None:
    while True:
        message = await source()
        async with lock:
            await dispatch(message)


async def dispatch_from(dispatch, *sources) -> None:
    """Channels' `await_many_dispatch`, lighter: one long-lived task per source,
    messages still handled one at a time (the lock, first come first served). The
    original waits on both sources anew and starts a task for every message, which
    cost about a fifth of a fan-out of one post to a thousand sockets."""
    lock = asyncio.Lock()
    pumps = [asyncio.create_task(_pump(source, dispatch, lock)) for source in sources]
    try:
        done, _pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # StopConsumer, or the handler's error
    except StopConsumer:
        pass
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        """Channels' `AsyncConsumer.__call__` (this consumer needs a channel
        layer), with the lighter loop of `dispatch_from`."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(
            self.channel_layer.receive, self.channel_name
        )
        self.base_send = send
        await dispatch_from(self.dispatch, receive, self.channel_receive)

    async def dispatch(self, message):
        """Channels' dispatch, without its hop to a thread to close stale database
        connections before every handler: this consumer reaches the database only
        through database_sync_to_async, which does it there. That hop, one at a time
        through one thread, was most of the cost of handing a national post to a
        thousand sockets."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if (
            user is None
            or not getattr(user, "is_authenticated", False)
            or not user.is_active
        ):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(self._session_lives)(user):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.user_id = user.pk  # read on every event: not through the lazy user
        self.stream: tuple[str, int | None] | None = None
        self.stream_groups: list[str] = []
        # (topic, id) -> channel-layer groups joined for it (`organising.topics`)
        self.watching: dict[tuple[str, int], list[str]] = {}
        self.seen: deque = deque()  # the last SEEN_LIMIT events passed on, in order
        self.seen_keys: set = set()
        self.last_typing: dict[int, float] = {}
        session = self.scope.get("session")
        self.session_digest = session_key_digest(getattr(session, "session_key", None))
        await database_sync_to_async(self._load_viewer)()
        try:
            await self.channel_layer.group_add(user_group(user.pk), self.channel_name)
        except Exception:  # noqa: BLE001 - no channel layer: the tab retries later
            logger.warning("Live socket could not join its user group", exc_info=True)
            await self.close(code=1011)
            return
        await self.accept()
        await self.send_json({"type": "hello", "user_id": user.pk})
        self.recheck_task = asyncio.create_task(self._recheck_loop())
        self.layer_task = asyncio.create_task(self._layer_check_loop())

    async def disconnect(self, code):
        for name in ("recheck_task", "layer_task"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()
        user = getattr(self, "user", None)
        if user is None:
            return
        for group in [
            user_group(user.pk),
            *getattr(self, "stream_groups", []),
            *self._watched_groups(),
        ]:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # noqa: BLE001
                logger.debug("group_discard failed", exc_info=True)

    # --- From the browser ------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "error": "bad message"})
            return
        kind = content.get("type")
        if kind == "subscribe":
            await self._subscribe(content)
        elif kind == "typing":
            await self._typing(content)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "watch":
            await self._watch(content)
        elif kind == "unwatch":
            await self._unwatch(content)
        elif kind == "topic.send":
            await self._topic_send(content)
        else:
            await self.send_json({"type": "error", "error": "unknown message type"})

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if not text_data or len(text_data) > topics.largest_message():
            await self.send_json({"type": "error", "error": "bad message"})
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            await self.send_json({"type": "error", "error": "bad message"})
            return
        if len(text_data) > self._message_limit(content):
            await self.send_json({"type": "error", "error": "bad message"})
            return
        await self.receive_json(content)

    @staticmethod
    def _message_limit(content) -> int:
        """Messages are small (4 KB) but for the topics that take larger ones."""
        if isinstance(content, dict) and content.get("type") == "topic.send":
            topic = topics.TOPICS.get(content.get("topic"))
            if topic is not None:
                return topic.max_message
        return 4096

    # --- Topics (organising.topics) ---------------------------------------------------

    @staticmethod
    def _topic_ref(content: dict) -> tuple[topics.Topic, int] | None:
        topic = topics.TOPICS.get(content.get("topic"))
        ref = content.get("id")
        if topic is None or not isinstance(ref, int) or isinstance(ref, bool):
            return None
        return topic, ref

    def _watched_groups(self) -> list[str]:
        return [g for groups in getattr(self, "watching", {}).values() for g in groups]

    async def _watch(self, content: dict) -> None:
        found = self._topic_ref(content)
        if found is None or (
            len(self.watching) >= topics.WATCH_LIMIT
            and (found[0].name, found[1]) not in self.watching
        ):
            await self.send_json({"type": "error", "error": "bad watch"})
            return
        topic, ref = found
        groups = await database_sync_to_async(topic.groups)(self.user, ref)
        if groups is None:
            await self._leave_topic(topic.name, ref)
            await self.send_json(
                {"type": "error", "error": "not found", "topic": topic.name, "id": ref}
            )
            return
        await self._set_topic_groups(topic.name, ref, groups)
        await self.send_json({"type": "watching", "topic": topic.name, "id": ref})

    async def _unwatch(self, content: dict) -> None:
        found = self._topic_ref(content)
        if found is not None:
            await self._leave_topic(found[0].name, found[1])

    async def _set_topic_groups(self, name: str, ref: int, groups: list[str]) -> None:
        old = self.watching.get((name, ref), [])
        self.watching[(name, ref)] = groups
        others = {
            g for key, gs in self.watching.items() if key != (name, ref) for g in gs
        }
        for group in old:
            if group not in groups and group not in others:
                await self.channel_layer.group_discard(group, self.channel_name)
        for group in groups:
            if group not in old:
                await self.channel_layer.group_add(group, self.channel_name)

    async def _leave_topic(self, name: str, ref: int) -> None:
        if (name, ref) in self.watching:
            await self._set_topic_groups(name, ref, [])
            del self.watching[(name, ref)]

    async def _topic_send(self, content: dict) -> None:
        found = self._topic_ref(content)
        if found is None or found[0].receive is None:
            await self.send_json({"type": "error", "error": "bad message"})
            return
        topic, ref = found
        if (topic.name, ref) not in self.watching:
            await self.send_json(
                {"type": "error", "error": "not found", "topic": topic.name, "id": ref}
            )
            return
        await topic.receive(self, ref, content)

    async def _follow_topics(self) -> None:
        """Ask each watched topic again (the member's rights changed)."""
        for name, ref in list(self.watching):
            topic = topics.TOPICS.get(name)
            groups = (
                None
                if topic is None
                else await database_sync_to_async(topic.groups)(self.user, ref)
            )
            if groups is None:
                await self._leave_topic(name, ref)
                await self.send_json(
                    {"type": "error", "error": "not found", "topic": name, "id": ref}
                )
            else:
                await self._set_topic_groups(name, ref, groups)

    async def _subscribe(self, content: dict) -> None:
        stream = content.get("stream")
        ref = content.get("id")
        since = content.get("since") or 0
        if stream not in streams.NAMES or not isinstance(since, int) or since < 0:
            await self.send_json({"type": "error", "error": "bad subscription"})
            return
        if ref is not None and (not isinstance(ref, int) or isinstance(ref, bool)):
            await self.send_json({"type": "error", "error": "bad subscription"})
            return
        shown = content.get("shown") or []
        if (
            not isinstance(shown, list)
            or len(shown) > SHOWN_LIMIT
            or not all(isinstance(pk, int) and not isinstance(pk, bool) for pk in shown)
        ):
            await self.send_json({"type": "error", "error": "bad subscription"})
            return
        groups = await database_sync_to_async(self._groups_for)(stream, ref)
        if groups is None:
            await self.send_json(
                {"type": "error", "error": "not found", "stream": stream}
            )
            return
        await self._join_only(groups)
        self.stream = (stream, ref)
        await self.send_json({"type": "subscribed", "stream": stream, "id": ref})
        if since:
            items, stale = await database_sync_to_async(self._missed)(
                stream, ref, since, shown
            )
            for item in items:
                await self.send_json(item)
            await self.send_json({"type": "caught_up", "stale": stale})

    async def _join_only(self, groups: list[str]) -> None:
        """Leave the stream groups not in `groups`, join those not joined yet."""
        for group in self.stream_groups:
            if group not in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        for group in groups:
            if group not in self.stream_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        self.stream_groups = groups

    async def _follow_the_member(self) -> None:
        """Rights and subscriptions again from the database; the tab resubscribes
        (what it missed, and the removal of what it may no longer see)."""
        groups = await database_sync_to_async(self._reload)()
        await self._follow_topics()
        if self.stream is not None and groups is None:
            await self._join_only([])
            await self.send_json(
                {"type": "error", "error": "not found", "stream": self.stream[0]}
            )
            self.stream = None
            return
        await self._join_only(groups or [])
        await self.send_json({"type": "resync"})

    def _reload(self) -> list[str] | None:
        self._load_viewer()
        if self.stream is None:
            return []
        return self._groups_for(*self.stream)

    async def _typing(self, content: dict) -> None:
        conversation_id = content.get("conversation")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            return
        now = time.monotonic()
        if now - self.last_typing.get(conversation_id, 0) < TYPING_INTERVAL:
            return
        self.last_typing[conversation_id] = now
        others = await database_sync_to_async(self._conversation_others)(
            conversation_id
        )
        if others is None:
            await self.send_json({"type": "error", "error": "not found"})
            return
        await self._send_to_groups(
            [user_group(uid) for uid in others],
            {
                "type": "conv.typing",
                "conversation": conversation_id,
                "user_id": self.user.pk,
                "name": str(self.user),
            },
        )

    async def _send_to_groups(self, groups: list[str], event: dict) -> None:
        try:
            await asyncio.gather(
                *(self.channel_layer.group_send(group, event) for group in groups)
            )
        except Exception:  # noqa: BLE001 - typing indicators are best effort
            logger.debug("typing announcement failed", exc_info=True)

    # --- From the channel layer ---------------------------------------------------

    async def post_event(self, event):
        key = (event["id"], event["action"])
        if key in self.seen_keys:
            return
        if event["action"] != "remove":
            if event["author_id"] in self.silenced:
                return
            if not self._may_see(event):
                return
        self.seen.append(key)
        self.seen_keys.add(key)
        if len(self.seen) > SEEN_LIMIT:
            self.seen_keys.discard(self.seen.popleft())
        # The frame was encoded once by the announcer, for every socket.
        await self.send(text_data=event["frame"])

    async def conv_message(self, event):
        if not access.reads_conversations(self.viewer):
            return  # a former member's socket hears no more conversations
        await self.send_json(
            {
                "type": "message.new",
                "conversation": event["conversation"],
                "id": event["id"],
                "author_id": event["author_id"],
                "html": event["html"]
                if self.stream == ("conversation", event["conversation"])
                else "",
            }
        )

    async def conv_typing(self, event):
        if event["user_id"] != self.user_id and self.stream == (
            "conversation",
            event["conversation"],
        ):
            await self.send_json(
                {
                    "type": "typing",
                    "conversation": event["conversation"],
                    "name": event["name"],
                }
            )

    async def counts(self, event):
        await self.send_json(
            {
                "type": "counts",
                "notifications": event["notifications"],
                "messages": event["messages"],
            }
        )

    async def topic_event(self, event):
        """An event for a watched object (`organising.topics`), encoded once."""
        await self.send(text_data=event["frame"])

    async def relations_changed(self, event):
        await database_sync_to_async(self._load_viewer)()

    async def context_changed(self, event):
        await self._follow_the_member()

    async def layer_ping(self, event):
        """The channel layer answered (`_layer_check_loop`)."""

    async def auth_revoked(self, event):
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def session_ended(self, event):
        if constant_time_compare(event.get("session", ""), self.session_digest):
            await self.close(code=CLOSE_UNAUTHENTICATED)

    # --- Checks ----------------------------------------------------------------------

    def _may_see(self, event: dict) -> bool:
        """The policy's own answer (`access.post_reaches`), from what the event
        carries and the viewer loaded at connection (no query)."""
        unit = None
        if event.get("audience_unit_id"):
            unit = SimpleNamespace(
                pk=event["audience_unit_id"], path=event["audience_unit_path"]
            )
        post = SimpleNamespace(
            pk=event["id"],
            author_id=event["author_id"],
            root_id=event.get("root_id"),
            root_author_id=event.get("root_author_id"),
            audience=event["audience"],
            audience_unit_id=event.get("audience_unit_id"),
            audience_unit=unit,
            audience_group_id=event.get("audience_group_id"),
        )
        return access.post_reaches(self.viewer, post)

    async def _recheck_loop(self) -> None:
        interval = getattr(settings, "MESSAGING_WS_RECHECK_SECONDS", 60)
        while True:
            await asyncio.sleep(interval)
            still_valid = await database_sync_to_async(self._still_valid)()
            if not still_valid:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return

    async def _layer_check_loop(self) -> None:
        """Send itself a message through the channel layer now and then: once it
        fails, announcements are being lost; once it works again, follow the member
        (rights and subscriptions from the database, the tab resubscribes)."""
        interval = getattr(settings, "MESSAGING_WS_LAYER_CHECK_SECONDS", 15)
        failed = False
        while True:
            await asyncio.sleep(interval)
            try:
                await self.channel_layer.send(self.channel_name, {"type": "layer.ping"})
            except Exception:  # noqa: BLE001 - Redis down: live delivery pauses
                failed = True
                continue
            if failed:
                failed = False
                try:
                    await self.channel_layer.group_add(
                        user_group(self.user_id), self.channel_name
                    )
                    await self._rejoin()
                    await self._follow_the_member()
                except Exception:  # noqa: BLE001 - down again: next round
                    failed = True

    async def _rejoin(self) -> None:
        for group in [*self.stream_groups, *self._watched_groups()]:
            await self.channel_layer.group_add(group, self.channel_name)

    def _still_valid(self) -> bool:
        """The account is active and the session or token that opened the socket lives;
        the viewer (home cell, offices, groups) is reloaded on the way."""
        user = User.objects.filter(pk=self.user.pk).first()
        if user is None or not user.is_active:
            return False
        token_id = self.scope.get("auth_token_id")
        if token_id is not None:
            if not ApiToken.objects.filter(
                pk=token_id, revoked_at__isnull=True
            ).exists():
                return False
        else:
            session = self.scope.get("session")
            session_hash = (
                session.get(HASH_SESSION_KEY) if session is not None else None
            )
            if not session_hash or not constant_time_compare(
                session_hash, user.get_session_auth_hash()
            ):
                return False
            if session.session_key and not session.exists(session.session_key):
                return False
        self._load_viewer(user)
        return True

    def _session_lives(self, user) -> bool:
        """A cached copy of an ended session opens no socket (`organising.sessions`;
        a bearer token was checked against the database already)."""
        session = self.scope.get("session")
        if self.scope.get("auth_token_id") is not None or session is None:
            return True
        checker = getattr(session, "still_valid_for", None)
        return checker is None or checker(user)

    def _load_viewer(self, user=None) -> None:
        """The viewer and who is silenced, from the member's row read now (its
        context version: the one loaded at connection is old after a change)."""
        user = user or User.objects.filter(pk=self.user_id).first() or self.user
        self.user = user
        self.viewer = access.viewer_for(user)
        silenced = set(
            Relation.objects.filter(
                owner_id=self.user.pk,
                kind__in=[Relation.Kind.MUTE, Relation.Kind.BLOCK],
            ).values_list("target_id", flat=True)
        )
        silenced.update(
            Relation.objects.filter(
                target_id=self.user.pk, kind=Relation.Kind.BLOCK
            ).values_list("owner_id", flat=True)
        )
        self.silenced = silenced

    def _groups_for(self, stream: str, ref: int | None) -> list[str] | None:
        """The channel-layer groups of a stream; None when the user may not see it
        (`streams.channel_groups`; a conversation's messages come through the user
        group)."""
        if stream == "conversation":
            if ref is None or self._conversation_others(ref) is None:
                return None
            return []
        return streams.channel_groups(stream, ref, self.user)

    def _conversation_others(self, conversation_id: int) -> list[int] | None:
        if not access.reads_conversations(self.viewer):
            return None
        rows = list(
            Participant.objects.filter(
                conversation_id=conversation_id, left_at__isnull=True
            ).values_list("user_id", flat=True)
        )
        if self.user.pk not in rows:
            return None
        return [uid for uid in rows if uid != self.user.pk]

    def _missed(
        self, stream: str, ref: int | None, since: int, shown: list[int]
    ) -> tuple[list[dict], bool]:
        """What the tab missed since item `since`, read from the database: new
        items, and the removal of those it shows (`shown`) that are gone since."""
        if stream == "conversation":
            conversation = Conversation(pk=ref)
            messages, stale = selectors.messages_since(conversation, since)
            return [
                {
                    "type": "message.new",
                    "conversation": ref,
                    "id": message.pk,
                    "author_id": message.author_id,
                    "html": render_to_string(
                        "messaging/_message.html",
                        {"message": message, "user": self.user},
                    ),
                }
                for message in messages
            ], stale
        # A thread's replies as its page shows them: with the officers' answers to
        # the member who started an officers-only thread.
        visible = access.content_filter(self.user, threads=stream == "thread")
        if stream == "thread":
            rows = list(
                Post.objects.filter(root_id=ref, parent__isnull=False, id__gt=since)
                .filter(visible)
                .exclude(author_id__in=self.silenced)
                .select_related(*selectors.POST_RELATED)
                .order_by("id")[: selectors.CATCH_UP_LIMIT + 1]
            )
            stale = len(rows) > selectors.CATCH_UP_LIMIT
            posts = selectors.decorate(rows[: selectors.CATCH_UP_LIMIT], self.user)
            template = "messaging/_reply.html"
        else:
            scope = streams.scope(stream, ref, self.user)
            posts, stale = selectors.timeline_since(self.user, scope, since)
            selectors.decorate(posts, self.user)
            template = "messaging/_post.html"
        still_there = set(
            Post.objects.filter(pk__in=shown, deleted_at__isnull=True)
            .filter(hidden_at__isnull=True)
            .filter(visible)
            .exclude(author_id__in=self.silenced)
            .values_list("pk", flat=True)
        )
        removed = [
            {"type": "post.remove", "id": pk, "parent_id": None, "html": ""}
            for pk in sorted(set(shown) - still_there)
        ]
        return removed + [
            {
                "type": "post.new",
                "id": post.pk,
                "parent_id": post.parent_id,
                "html": render_to_string(
                    template, {"post": post, "live": True, "user": self.user}
                ),
            }
            for post in posts
        ], stale
