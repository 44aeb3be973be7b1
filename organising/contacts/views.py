"""Web pages of the contacts and the member directory."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from federation.models import Group, Unit
from members.models import User
from organising.web import show_errors

from . import cards, imports, selectors, services
from .forms import (
    ContactCreateForm,
    ContactForm,
    ImportForm,
    InteractionForm,
    MemberChoiceForm,
)
from .models import Contact, ContactImport

FIELDS = services.EDITABLE_FIELDS


def _contact(request, public_id, action="contact.view") -> Contact:
    return access.contact_for_action_or_404(request.user, action, public_id)


def _require(request, action, obj=None) -> None:
    if not access.can(request.user, action, obj):
        raise Http404


def _managed_unit(request, action: str) -> Unit | None:
    slug = request.GET.get("unit") or request.POST.get("unit") or ""
    if not slug:
        return None
    unit = Unit.objects.filter(slug=slug).first()
    if unit is None or not access.can(request.user, action, unit):
        raise Http404
    return unit


# --- The list and one contact ------------------------------------------------------


@login_required
def contact_list(request):
    _require(request, "contact.list")
    unit = None
    if request.GET.get("unit"):
        unit = Unit.objects.filter(slug=request.GET["unit"]).first()
    query, tag = request.GET.get("q", "")[:100], request.GET.get("tag", "")[:40]
    rows, cursor = selectors.contacts_search(
        request.user,
        query=query,
        tag=tag,
        unit=unit,
        after=request.GET.get("after", ""),
    )
    services.contacts_read_record(
        by=request.user, unit=unit, what="contacts.list", count=len(rows)
    )
    context = {
        "contacts": rows,
        "cursor": cursor,
        "query": query,
        "tag": tag,
        "unit": unit,
        "tags": selectors.tags_of(request.user),
        "managed": selectors.units_managed(request.user),
    }
    if request.htmx and request.GET.get("fragment") == "rows":
        return render(request, "contacts/list.html#rows", context)
    return render(request, "contacts/list.html", context)


@login_required
def contact_create(request):
    _require(request, "contact.list")
    units = selectors.units_for_new_contacts(request.user)
    if not units:
        raise Http404
    form = ContactCreateForm(
        request.POST or None,
        units=units,
        initial={
            "consent_source": _("Met in person"),
            "consent_covers": ["email", "phone"],
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = next(u for u in units if u.slug == data["unit"])
        try:
            contact = services.contact_create(
                unit=unit,
                by=request.user,
                consent_source=data["consent_source"],
                consent_covers=set(data["consent_covers"]),
                **{name: data[name] for name in FIELDS},
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            if not access.can(request.user, "contact.view", contact):
                # Merged by e-mail into a contact another member follows: what it
                # holds stays hidden; the addition is in its history.
                messages.success(
                    request,
                    _(
                        "Saved: this person was already known to the unit, and what "
                        "you entered was added to their file."
                    ),
                )
                return redirect("contacts:list")
            messages.success(request, _("Contact saved."))
            return redirect(contact)
    return render(request, "contacts/form.html", {"form": form, "contact": None})


@login_required
def contact_detail(request, public_id):
    contact = _contact(request, public_id)
    user = request.user
    context = {
        "contact": contact,
        "phone": services.phone_display(contact.phone),
        "interaction_form": InteractionForm(),
        "can_edit": access.can(user, "contact.edit", contact),
        "can_share": access.can(user, "contact.share", contact),
        "can_reassign": access.can(user, "contact.reassign", contact),
        "can_erase": access.can(user, "contact.erase", contact),
        "can_invite": access.can(user, "contact.invite", contact) and contact.email,
        **selectors.contact_page(contact),
    }
    if context["can_share"] or context["can_reassign"]:
        followers = selectors.possible_followers(contact)
        context["share_form"] = MemberChoiceForm(
            members=[m for m in followers if m.pk != contact.follower_id]
        )
        context["reassign_form"] = MemberChoiceForm(
            members=followers,
            empty_label=_("Nobody"),
            initial={
                "member": str(contact.follower.public_id) if contact.follower else ""
            },
        )
    return render(request, "contacts/detail.html", context)


@login_required
def contact_edit(request, public_id):
    contact = _contact(request, public_id, "contact.edit")
    initial = {name: getattr(contact, name) for name in FIELDS}
    initial["tags"] = ", ".join(contact.tag_list)
    initial["phone"] = services.phone_display(contact.phone)
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=contact, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Contact saved."))
            return redirect(contact)
    return render(request, "contacts/form.html", {"form": form, "contact": contact})


@login_required
@require_POST
def interaction_add(request, public_id):
    contact = _contact(request, public_id, "contact.interact")
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.interaction_add(
                contact=contact, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            show_errors(form, error)
    if form.errors:
        messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
    else:
        messages.success(request, _("Added to the history."))
    return redirect(contact)


def _chosen_member(request, contact, form) -> User | None:
    if not form.is_valid() or not form.cleaned_data["member"]:
        return None
    member = User.objects.filter(public_id=form.cleaned_data["member"]).first()
    if member is None:
        raise Http404
    return member


@login_required
@require_POST
def contact_share(request, public_id):
    contact = _contact(request, public_id, "contact.share")
    form = MemberChoiceForm(request.POST, members=selectors.possible_followers(contact))
    member = _chosen_member(request, contact, form)
    if member is None:
        messages.error(request, _("Choose a member of the unit."))
        return redirect(contact)
    try:
        services.contact_share(contact=contact, member=member, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Shared with %(name)s.") % {"name": member})
    return redirect(contact)


@login_required
@require_POST
def contact_unshare(request, public_id, member_id):
    contact = _contact(request, public_id, "contact.share")
    member = get_object_or_404(User, public_id=member_id)
    services.contact_unshare(contact=contact, member=member, by=request.user)
    messages.success(request, _("No longer shared with %(name)s.") % {"name": member})
    return redirect(contact)


@login_required
@require_POST
def contact_reassign(request, public_id):
    contact = _contact(request, public_id, "contact.reassign")
    form = MemberChoiceForm(
        request.POST, members=selectors.possible_followers(contact), empty_label="-"
    )
    if not form.is_valid():
        messages.error(request, _("Choose a member of the unit."))
        return redirect(contact)
    member = _chosen_member(request, contact, form)
    try:
        services.contact_reassign(contact=contact, follower=member, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Follow-up reassigned."))
    return redirect(contact)


@login_required
@require_POST
def contact_invite(request, public_id):
    contact = _contact(request, public_id, "contact.invite")
    try:
        services.contact_invite(contact=contact, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Invitation sent to %(email)s.") % {"email": contact.email}
        )
    return redirect(contact)


@login_required
@require_POST
def contact_erase(request, public_id):
    contact = _contact(request, public_id, "contact.erase")
    services.contact_erase(contact=contact, by=request.user)
    messages.success(request, _("The contact and its history were erased."))
    return redirect("contacts:list")


@login_required
def contact_vcard(request, public_id):
    contact = _contact(request, public_id)
    response = HttpResponse(
        cards.contact_card(contact), content_type="text/vcard; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="contact-{contact.public_id}.vcf"'
    )
    return response


# --- Duplicates and merging --------------------------------------------------------


@login_required
def duplicates(request):
    units = selectors.units_managed(request.user)
    slug = request.GET.get("unit", "")
    unit = next((u for u in units if u.slug == slug), units[0] if units else None)
    if unit is None:
        raise Http404
    pairs = selectors.duplicates_in(request.user, unit)
    services.contacts_read_record(
        by=request.user, unit=unit, what="contacts.duplicates", count=2 * len(pairs)
    )
    return render(
        request,
        "contacts/duplicates.html",
        {"pairs": pairs, "unit": unit, "units": units},
    )


@login_required
@require_POST
def contact_merge(request):
    keep = _contact(request, request.POST.get("keep", ""), "contact.merge")
    other = _contact(request, request.POST.get("other", ""), "contact.merge")
    try:
        kept = services.contact_merge(keep=keep, other=other, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("contacts:duplicates")
    messages.success(request, _("Contacts merged: every interaction and consent kept."))
    return redirect(kept)


# --- Import and export -------------------------------------------------------------


@login_required
def import_start(request):
    units = selectors.units_managed(request.user)
    if not units:
        raise Http404
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        initial={"consent_at": timezone.localdate(), "consent_covers": ["email"]},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = next(u for u in units if u.slug == data["unit"])
        upload = data["file"]
        if upload.size > imports.MAX_BYTES:
            form.add_error("file", _("The file is too large (20 MB at most)."))
        else:
            try:
                batch = imports.import_create(
                    unit=unit,
                    by=request.user,
                    filename=upload.name,
                    content=upload.read(),
                    format=data["format"],
                    encoding=data["encoding"],
                    consent_source=data["consent_source"],
                    consent_covers=set(data["consent_covers"]),
                    consent_at=timezone.make_aware(
                        datetime.combine(data["consent_at"], time(12))
                    ),
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                return redirect(batch)
    return render(request, "contacts/import.html", {"form": form})


def _import_or_404(request, public_id) -> ContactImport:
    try:
        batch = ContactImport.objects.select_related("unit").get(public_id=public_id)
    except (ContactImport.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None
    if not access.can(request.user, "contact.import", batch.unit):
        raise Http404
    return batch


@login_required
def import_detail(request, public_id):
    batch = _import_or_404(request, public_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                imports.import_cancel(batch=batch, by=request.user)
                messages.success(request, _("Import cancelled: nothing was written."))
            else:
                batch = imports.import_apply_start(batch=batch, by=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect(batch)
    report = batch.report[:2000]
    return render(
        request,
        "contacts/import_detail.html",
        {
            "batch": batch,
            "report": report,
            "truncated": len(batch.report) > len(report),
        },
    )


@login_required
def export(request, fmt):
    unit = _managed_unit(request, "contact.export")
    if unit is None:
        raise Http404
    return imports.export_response(by=request.user, unit=unit, fmt=fmt)


# --- The member directory ----------------------------------------------------------


def _scope(request, scopes):
    key = request.GET.get("scope", "")
    for scope in scopes:
        if _scope_key(scope) == key:
            return scope
    return scopes[0] if scopes else None


def _scope_key(scope) -> str:
    return f"{'group' if isinstance(scope, Group) else 'unit'}:{scope.slug}"


@login_required
def directory(request):
    scopes = [
        s
        for s in selectors.directory_scopes(request.user)
        if access.can(request.user, "directory.view", s)
    ]
    scope = _scope(request, scopes)
    if scope is None:
        raise Http404
    query = request.GET.get("q", "")[:100]
    members, cursor = selectors.directory_members(
        scope, query=query, after=request.GET.get("after", "")
    )
    context = {
        "scopes": [(_scope_key(s), s) for s in scopes],
        "scope_key": _scope_key(scope),
        "scope": scope,
        "rows": [(m, selectors.shown_fields(m)) for m in members],
        "cursor": cursor,
        "query": query,
    }
    if request.htmx and request.GET.get("fragment") == "rows":
        return render(request, "contacts/directory.html#rows", context)
    return render(request, "contacts/directory.html", context)


@login_required
def member_vcard(request, public_id):
    member = get_object_or_404(User, public_id=public_id, is_active=True)
    if not (
        access.can(request.user, "member.vcard", member)
        and access.can(request.user, "member.view", member)
    ):
        raise Http404
    response = HttpResponse(
        cards.member_vcard(member), content_type="text/vcard; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="member-{member.public_id}.vcf"'
    )
    return response
