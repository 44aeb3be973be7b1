"""Messaging views: posts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from federation import access
from organising import files

from .. import selectors, services
from ..forms import (
    EditForm,
    PostForm,
    ReactForm,
    ReasonForm,
    RelayForm,
    ReplyForm,
)
from ..models import PostImage, Report
from .common import _errors_to_form, _safe_next


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
