"""Messaging views: private conversations."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from federation import access
from members.models import User

from .. import selectors, services
from ..forms import (
    ConversationForm,
    MessageForm,
    NotificationSettingsForm,
)
from ..models import Handle, NotificationSettings
from .common import _cursor, _errors_to_form

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
