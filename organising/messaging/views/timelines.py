"""Messaging views: timelines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from federation import access
from federation.models import Audience, Group, Unit
from members.models import User

from .. import pagecache, selectors, services
from ..forms import (
    PostForm,
)
from ..models import Hashtag, Relation
from ..text import hashtag_key
from .common import _cursor


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
    tag = Hashtag.objects.filter(name=name).first()
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
