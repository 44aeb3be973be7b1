"""Web pages: timelines, threads, conversations, notifications. Server-rendered; htmx
swaps fragments where it is loaded, and every form also works without JavaScript."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from federation import access
from federation.models import Audience, Group, Unit
from members.models import User
from organising import files

from . import pagecache, selectors, services
from .forms import (
    ConversationForm,
    EditForm,
    MessageForm,
    NotificationSettingsForm,
    PostForm,
    ReactForm,
    ReasonForm,
    RelayForm,
    ReplyForm,
)
from .models import Handle, NotificationSettings, PostImage, Relation, Report
from .text import hashtag_key


def _cursor(request):
    try:
        return selectors.Cursor.decode(request.GET.get("before"))
    except ValidationError:
        raise Http404 from None


def _errors_to_form(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message.message % (message.params or {}))
    else:
        for message in error.messages:
            form.add_error(None, message)


def _older_items_only(request) -> bool:
    """htmx asks for older posts: the items alone, appended below the others."""
    return bool(request.htmx and request.GET.get("before"))


def _timeline(request, *, page, title, stream, composer=None, extra=None):
    context = {
        "title": title,
        "page": page,
        "stream": stream,
        "composer": composer,
        **(extra or {}),
    }
    if _older_items_only(request):
        return render(request, "messaging/timeline.html#items", context)
    return render(request, "messaging/timeline.html", context)


def _composer(request, initial_audience: str | None = None):
    if not access.can(request.user, "post.create"):
        return None
    return PostForm(user=request.user, initial_audience=initial_audience)


@login_required
@require_GET
def home(request):
    cursor = _cursor(request)

    def page(holes=None):
        return _timeline(
            request,
            page=selectors.timeline_home(request.user, cursor=cursor),
            title=_("Timeline"),
            stream={"kind": "home"},
            # One writes at the top of the timeline, not pages back in time.
            composer=_composer(request) if cursor is None else None,
            extra=holes,
        )

    if not pagecache.cacheable(request):
        return page()
    stored = pagecache.serve_home(
        request,
        cursor,
        items_only=_older_items_only(request),
        build=lambda: page(pagecache.HOLES).content.decode(),
    )
    return HttpResponse(stored)


@require_GET
def public(request):
    page = selectors.timeline_public(request.user, cursor=_cursor(request))
    return _timeline(
        request, page=page, title=_("Public posts"), stream={"kind": "public"}
    )


@login_required
@require_GET
def unit_timeline(request, slug):
    unit = get_object_or_404(Unit.objects.select_related("level"), slug=slug)
    page = selectors.timeline_unit(request.user, unit, cursor=_cursor(request))
    initial = (
        f"unit_tree:{unit.pk}"
        if access.can_address(request.user, Audience.UNIT_TREE, unit)
        else None
    )
    return _timeline(
        request,
        page=page,
        title=_("Posts of %(unit)s") % {"unit": unit},
        stream={"kind": "unit", "id": unit.pk},
        composer=_composer(request, initial) if initial else None,
        extra={"unit": unit},
    )


@login_required
@require_GET
def group_timeline(request, slug):
    group = get_object_or_404(Group, slug=slug)
    if not access.can(request.user, "group.timeline.view", group):
        raise Http404
    page = selectors.timeline_group(request.user, group, cursor=_cursor(request))
    return _timeline(
        request,
        page=page,
        title=_("Posts of %(group)s") % {"group": group},
        stream={"kind": "group", "id": group.pk},
        composer=_composer(request, f"group:{group.pk}"),
        extra={"group": group},
    )


@require_GET
def hashtag(request, name):
    name = hashtag_key(name)
    page = selectors.timeline_hashtag(request.user, name, cursor=_cursor(request))
    tag = services.Hashtag.objects.filter(name=name).first()
    return _timeline(
        request,
        page=page,
        title=f"#{name}",
        stream={"kind": "tag", "id": tag.pk if tag else 0},
    )


@login_required
@require_GET
def member(request, public_id):
    person = get_object_or_404(
        User.objects.select_related("handle"), public_id=public_id
    )
    if not access.can(request.user, "member.view", person):
        raise Http404
    page = selectors.timeline_author(request.user, person, cursor=_cursor(request))
    relations = set(
        Relation.objects.filter(owner=request.user, target=person).values_list(
            "kind", flat=True
        )
    )
    return _timeline(
        request,
        page=page,
        title=str(person),
        stream={"kind": "author", "id": person.pk},
        extra={
            "person": person,
            "relations": relations,
            "handle": services.handle_for(person),
        },
    )


@login_required
@require_POST
def relation(request, public_id):
    person = get_object_or_404(User, public_id=public_id)
    kind = request.POST.get("kind", "")
    on = request.POST.get("on") == "1"
    try:
        services.relation_set(owner=request.user, target=person, kind=kind, on=on)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("messaging:member", public_id=public_id)


@login_required
@require_POST
def post_create(request):
    form = PostForm(request.POST, request.FILES, user=request.user)
    post = None
    if form.is_valid():
        try:
            post = services.post_create(
                author=request.user,
                body=form.cleaned_data["body"],
                images=form.cleaned_data["images"],
                **form.cleaned_data["audience"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
    if post is None:
        status = 400
        if request.htmx:
            return render(
                request, "messaging/_composer.html", {"composer": form}, status=status
            )
        return render(
            request, "messaging/post_form.html", {"composer": form}, status=status
        )
    if request.htmx:
        selectors.decorate([post], request.user)
        response = render(
            request,
            "messaging/_composer.html",
            {
                "composer": PostForm(
                    user=request.user, initial_audience=request.POST.get("audience")
                ),
                "new_post": post,
            },
        )
        return response
    messages.success(request, _("Posted."))
    return redirect(
        request.POST.get("next") if _safe_next(request) else "messaging:home"
    )


def _safe_next(request) -> bool:
    target = request.POST.get("next", "")
    return target.startswith("/") and not target.startswith("//")


@login_required
@require_GET
def post_detail(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    thread = selectors.thread_for(request.user, post)
    viewer = access.viewer_for(request.user)
    can_moderate = access.can(
        request.user, "content.moderate", thread.root.moderation_unit
    )
    return render(
        request,
        "messaging/post.html",
        {
            "thread": thread,
            "reply_form": ReplyForm(),
            "can_moderate": can_moderate,
            "can_relay": thread.root_visible
            and access.can(request.user, "post.relay", thread.root),
            "boosted": selectors.boosted_by(request.user, thread.root),
            "viewer": viewer,
            "stream": {"kind": "thread", "id": thread.root.pk},
        },
    )


@login_required
@require_POST
def post_reply(request, pk):
    parent = selectors.get_post_or_404(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            reply = services.post_create(
                author=request.user, body=form.cleaned_data["body"], parent=parent
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            if request.htmx:
                selectors.decorate([reply], request.user)
                return render(
                    request,
                    "messaging/_reply.html",
                    {"post": reply, "depth": 1, "fresh": True},
                )
            return redirect(f"{reply.root.get_absolute_url()}#post-{reply.pk}")
    return render(
        request,
        "messaging/post_reply.html",
        {"post": parent, "form": form},
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    if not access.can(request.user, "post.edit", post):
        raise PermissionDenied
    form = EditForm(request.POST or None, initial={"body": post.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(
                post=post, by=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(post.root.get_absolute_url() if post.root_id else post)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "messaging/post_edit.html", {"post": post, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_delete(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    if not access.can(request.user, "post.delete", post):
        raise PermissionDenied
    if request.method == "POST":
        services.post_delete(post=post, by=request.user)
        if request.htmx:
            return HttpResponse("")
        messages.success(request, _("Post deleted."))
        return redirect("messaging:home")
    return render(request, "messaging/post_delete.html", {"post": post})


@login_required
@require_http_methods(["GET", "POST"])
def post_hide(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    access.require(request.user, "content.moderate", post.moderation_unit)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.post_hide(
            post=post, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request, _("The post is hidden; its author has been told why.")
        )
        return redirect(post.root.get_absolute_url() if post.root_id else post)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "messaging/post_hide.html", {"post": post, "form": form}, status=status
    )


@login_required
@require_POST
def post_unhide(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    services.post_unhide(post=post, by=request.user)
    messages.success(request, _("The post is visible again."))
    return redirect(post)


@login_required
@require_http_methods(["GET", "POST"])
def post_report(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.post_report(
            post=post, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request, _("Thank you: the officers of the unit will look at it.")
        )
        return redirect(post.root.get_absolute_url() if post.root_id else post)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "messaging/post_report.html",
        {"post": post, "form": form},
        status=status,
    )


@login_required
@require_POST
def post_react(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    form = ReactForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Unknown reaction."), status=400)
    services.post_react(
        post=post,
        by=request.user,
        kind=form.cleaned_data["kind"],
        on=form.cleaned_data["on"],
    )
    if request.htmx:
        selectors.decorate([post], request.user)
        return render(request, "messaging/_post.html#reactions", {"post": post})
    return redirect(
        request.POST.get("next") if _safe_next(request) else post.get_absolute_url()
    )


@login_required
@require_POST
def post_boost(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    on = request.POST.get("on", "1") == "1"
    services.post_boost(post=post, by=request.user, on=on)
    messages.success(request, _("Boosted.") if on else _("Boost taken back."))
    return redirect(
        request.POST.get("next") if _safe_next(request) else post.get_absolute_url()
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_relay(request, pk):
    post = selectors.get_post_or_404(request.user, pk)
    units = access.relay_units(request.user, post)
    if not units:
        raise PermissionDenied
    form = RelayForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            relay = services.post_relay(
                post=post,
                by=request.user,
                body=form.cleaned_data["body"],
                **form.cleaned_data["audience"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, _("Relayed."))
            return redirect(relay)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "messaging/post_relay.html",
        {"post": post, "form": form},
        status=status,
    )


@require_GET
def post_image(request, pk, image):
    """A post's image, to whoever may see the post (public posts: anyone)."""
    post = selectors.get_post_or_404(request.user, pk)
    row = get_object_or_404(PostImage, pk=image, post=post)
    return files.file_response(row.image)


@login_required
@require_GET
def reports(request):
    units = access.units_with_office(
        request.user, access.UNIT_ACTIONS["content.moderate"]
    )
    rows = (
        Report.objects.filter(unit__in=units, resolved_at__isnull=True)
        .select_related("post", "post__author", "reporter", "unit")
        .order_by("-created")[:100]
    )
    return render(request, "messaging/reports.html", {"reports": rows})


@login_required
@require_POST
def report_resolve(request, pk):
    report = get_object_or_404(Report.objects.select_related("unit"), pk=pk)
    if not access.can(request.user, "content.moderate", report.unit):
        raise Http404  # a report outside one's units does not exist for them
    services.report_resolve(report=report, by=request.user)
    messages.success(request, _("Report closed."))
    return redirect("messaging:reports")


# --- Conversations ---------------------------------------------------------------


@login_required
@require_GET
def conversations(request):
    page = selectors.conversations_for(request.user, cursor=_cursor(request))
    return render(
        request,
        "messaging/conversations.html",
        {"page": page, "stream": {"kind": "conversations"}},
    )


def _people_for(names: list[str]) -> tuple[list[User], list[str]]:
    handles = Handle.objects.filter(name__in=names).select_related("user")
    found = {handle.name: handle.user for handle in handles}
    return [found[n] for n in names if n in found], [n for n in names if n not in found]


@login_required
@require_http_methods(["GET", "POST"])
def conversation_new(request):
    chosen = [to for to in request.GET.getlist("to")[:49] if _is_uuid(to)]
    # Only people the user may write to: ?to= must not read anyone's @handle.
    people = [
        person
        for person in User.objects.filter(public_id__in=chosen).order_by("display_name")
        if access.can(request.user, "member.message", person)
    ]
    chosen = [str(person.public_id) for person in people]
    initial = {"people": " ".join(f"@{services.handle_for(p).name}" for p in people)}
    form = ConversationForm(request.POST or None, initial=initial)
    query = request.GET.get("q", "")
    found = selectors.people_to_write_to(request.user, query) if query else None
    if request.method == "POST" and form.is_valid():
        people, unknown = _people_for(form.cleaned_data["people"])
        if unknown:
            form.add_error(
                "people", _("Nobody is called @%(name)s.") % {"name": unknown[0]}
            )
        else:
            try:
                conversation = services.conversation_start(
                    by=request.user,
                    people=people,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                return redirect(conversation)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "messaging/conversation_new.html",
        {"form": form, "query": query, "found": found, "chosen": chosen},
        status=status,
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request, pk):
    conv = selectors.conversation_for_participant(request.user, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                message = services.message_send(
                    conversation=conv,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    client_key=form.cleaned_data["client_key"],
                )
            except ValidationError as error:
                _errors_to_form(form, error)
            else:
                if request.htmx:
                    return render(
                        request,
                        "messaging/conversation.html#composer",
                        {"conversation": conv, "form": MessageForm(), "sent": message},
                    )
                return redirect(f"{conv.get_absolute_url()}#message-{message.pk}")
        status = 400
    else:
        status = 200
    before = request.GET.get("before")
    items, older = selectors.messages_page(
        conv, before_id=int(before) if before and before.isdigit() else None
    )
    if request.method == "GET" and not before:
        services.conversation_read(conversation=conv, by=request.user)
    return render(
        request,
        "messaging/conversation.html",
        {
            "conversation": conv,
            "items": items,
            "older": older,
            "form": form,
            "stream": {"kind": "conversation", "id": conv.pk},
            "since": items[-1].pk if items else 0,
        },
        status=status,
    )


@login_required
@require_POST
def conversation_read(request, pk):
    conv = selectors.conversation_for_participant(request.user, pk)
    services.conversation_read(conversation=conv, by=request.user)
    return HttpResponse(status=204)


@login_required
@require_POST
def conversation_leave(request, pk):
    conv = selectors.conversation_for_participant(request.user, pk)
    services.conversation_leave(conversation=conv, by=request.user)
    messages.success(request, _("You left the conversation."))
    return redirect("messaging:conversations")


@login_required
@require_POST
def conversation_add(request, pk):
    conv = selectors.conversation_for_participant(request.user, pk)
    names = [
        n.lstrip("@").lower()
        for n in request.POST.get("people", "").split()
        if n.strip("@")
    ]
    people, unknown = _people_for(names)
    try:
        if unknown:
            raise ValidationError(
                _("Nobody is called @%(name)s.") % {"name": unknown[0]}
            )
        added = services.conversation_add(
            conversation=conv, by=request.user, people=people
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(n)d people added.") % {"n": added})
    return redirect(conv)


# --- Notifications ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    if request.method == "POST":
        services.notifications_read(user=request.user)
        return redirect("messaging:notifications")
    page = selectors.notifications_page(request.user, cursor=_cursor(request))
    return render(request, "messaging/notifications.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    current = NotificationSettings.objects.filter(user=request.user).first()
    form = NotificationSettingsForm(
        request.POST or None,
        initial={
            "email": current.email if current else NotificationSettings.Email.DAILY
        },
    )
    if request.method == "POST" and form.is_valid():
        services.notification_settings_set(
            user=request.user, email=form.cleaned_data["email"]
        )
        messages.success(request, _("Saved."))
        return redirect("messaging:notifications")
    return render(request, "messaging/notification_settings.html", {"form": form})
