"""Web pages of documents: a member's documents and search, a unit's (or group's)
documents by folder, a document (rendered, comments, files), its editor (a textarea:
works without JavaScript), settings, history, diffs, restore, amendments (table, text
with amendments in place, decisions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from federation import access
from federation.models import Group, Unit
from organising.files import file_response
from organising.web import show_errors

from . import selectors, services, textops
from .forms import (
    AmendmentForm,
    CommentForm,
    CreateForm,
    ReplyForm,
    SaveForm,
    SettingsForm,
    UploadForm,
)
from .models import Amendment, Attachment, Comment, Document, Draft, Folder

HISTORY_PAGE = 100


def _document_or_404(request, public_id) -> Document:
    return access.get_visible_or_404(
        request.user,
        Document.objects.select_related(
            "unit", "group", "folder", "audience_unit", "audience_group", "created_by"
        ),
        public_id=public_id,
    )


def _require(request, action: str, obj) -> None:
    if not access.can(request.user, action, obj):
        raise PermissionDenied(action)


def _owner_of_request(request) -> Unit | Group:
    source = request.POST if request.method == "POST" else request.GET
    if source.get("group"):
        return get_object_or_404(
            Group.objects.select_related("unit"), slug=source["group"]
        )
    return get_object_or_404(Unit, slug=source.get("unit", ""))


def index(request):
    query = request.GET.get("q", "").strip()
    found = selectors.search(request.user, query) if query else None
    recent = []
    if found is None and request.user.is_authenticated:
        recent = list(
            selectors.visible_documents(request.user).order_by("-updated_at")[:30]
        )
    home = getattr(access.viewer_for(request.user), "home", None)
    return render(
        request,
        "documents/index.html",
        {"query": query, "found": found, "recent": recent, "home": home},
    )


def _owner_page(request, owner, is_group: bool):
    documents = selectors.owner_documents(request.user, owner)
    return render(
        request,
        "documents/owner.html",
        {
            "owner": owner,
            "is_group": is_group,
            "folders": selectors.by_folder(documents),
            "can_create": access.can(request.user, "document.create", owner),
        },
    )


def unit_documents(request, slug):
    return _owner_page(request, get_object_or_404(Unit, slug=slug), False)


def group_documents(request, slug):
    group = get_object_or_404(Group.objects.select_related("unit"), slug=slug)
    return _owner_page(request, group, True)


def _folder_choice(owner, form) -> Folder | None:
    if isinstance(owner, Group):
        return None
    if form.cleaned_data.get("new_folder"):
        return services.folder_create(
            by=form.by, unit=owner, name=form.cleaned_data["new_folder"]
        )
    pk = form.cleaned_data.get("folder")
    return Folder.objects.filter(unit=owner, pk=pk).first() if pk else None


@login_required
def create(request):
    owner = _owner_of_request(request)
    _require(request, "document.create", owner)
    is_group = isinstance(owner, Group)
    folders = [] if is_group else Folder.objects.filter(unit=owner)
    form = CreateForm(request.POST or None, group=is_group, folders=folders)
    form.by = request.user
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = services.document_create(
                by=request.user,
                owner=owner,
                title=data["title"],
                body=data["body"],
                audience=data["audience"],
                editors=data["editors"],
                folder=_folder_choice(owner, form),
                amendments_until=data.get("amendments_until"),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The document is created."))
            return redirect(document)
    return render(
        request,
        "documents/form.html",
        {
            "form": form,
            "owner": owner,
            "is_group": is_group,
            "title": _("New document"),
        },
    )


def _can(request, document) -> dict:
    user = request.user
    return {
        name.replace(".", "_"): access.can(user, name, document)
        for name in (
            "document.edit",
            "document.manage",
            "document.comment",
            "document.restore",
            "file.upload",
            "amendment.propose",
        )
    }


def document(request, public_id):
    document = _document_or_404(request, public_id)
    comments = list(
        document.comments.filter(parent__isnull=True)
        .select_related("author", "resolved_by")
        .prefetch_related("replies__author")
        .order_by("resolved_at", "offset", "pk")[:200]
    )
    for comment in comments:
        comment.may_resolve = access.can(request.user, "comment.resolve", comment)
    attachments = list(document.attachments.all()[:100])
    return render(
        request,
        "documents/document.html",
        {
            "document": document,
            "html": services.rendered(document),
            "comments": comments,
            "attachments": attachments,
            "comment_form": CommentForm(),
            "reply_form": ReplyForm(),
            "upload_form": UploadForm(),
            "open_amendments": document.amendments.filter(
                status__in=["proposed", "voting"]
            ).count(),
            **_can(request, document),
        },
    )


@login_required
def edit(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "document.edit", document)
    conflict = None
    draft = Draft.objects.filter(document=document, author=request.user).first()
    if request.method == "POST":
        form = SaveForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = services.document_save(
                    by=request.user,
                    document=document,
                    body=data["body"],
                    base_revision=data["base_revision"],
                    summary=data["summary"],
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                if not result.conflict:
                    if result.merged:
                        messages.info(
                            request,
                            _(
                                "Someone saved while you were editing: both "
                                "changes are merged."
                            ),
                        )
                    else:
                        messages.success(request, _("Saved."))
                    return redirect(document)
                conflict = result
                form = SaveForm(
                    initial={
                        "body": result.text,
                        "summary": data["summary"],
                        "base_revision": result.base_number,
                    }
                )
    elif draft is not None:
        form = SaveForm(
            initial={"body": draft.body, "base_revision": draft.base_number}
        )
    else:
        form = SaveForm(
            initial={"body": document.body, "base_revision": document.revision_number}
        )
    form.fields["body"].widget.attrs.update(
        {
            "data-live-document": document.pk,
            "data-live-user": request.user.pk,
            "data-live-on": _("Live: the others' changes appear as they type."),
            "data-live-readonly": _("Live: you may read, not write."),
            "data-live-off": _("Live editing is off: save to keep your text."),
            "data-live-others": _("Also editing:"),
        }
    )
    return render(
        request,
        "documents/edit.html",
        {
            "document": document,
            "form": form,
            "conflict": conflict,
            "draft": draft if request.method == "GET" else None,
        },
    )


@login_required
def settings_edit(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "document.manage", document)
    is_group = bool(document.group_id)
    owner = document.group if is_group else document.unit
    folders = [] if is_group else Folder.objects.filter(unit=document.unit)
    initial = {
        "title": document.title,
        "audience": document.audience,
        "editors": document.editors,
        "folder": str(document.folder_id or ""),
        "amendments_until": document.amendments_until,
    }
    form = SettingsForm(
        request.POST or None, initial=initial, group=is_group, folders=folders
    )
    form.by = request.user
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.document_settings(
                by=request.user,
                document=document,
                title=data["title"],
                audience=data["audience"],
                editors=data["editors"],
                folder=_folder_choice(owner, form),
                amendments_until=data.get("amendments_until"),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(document)
    return render(
        request,
        "documents/form.html",
        {"form": form, "owner": owner, "document": document, "title": _("Settings")},
    )


def history(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "document.history.view", document)
    revisions = (
        document.revisions.select_related("author", "amendment")
        .defer("snapshot", "delta")
        .order_by("-number")[:HISTORY_PAGE]
    )
    return render(
        request,
        "documents/history.html",
        {
            "document": document,
            "revisions": revisions,
            "can_restore": access.can(request.user, "document.restore", document),
        },
    )


def _number(raw, name: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise Http404 from None


def diff(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "document.history.view", document)
    b = _number(request.GET.get("to", document.revision_number), "to")
    a = _number(request.GET.get("from", b - 1), "from")
    try:
        hunks = services.revisions_diff(document, a, b)
    except ValidationError:
        raise Http404 from None

    def skipped(n):
        return ngettext("… %(n)d unchanged line …", "… %(n)d unchanged lines …", n) % {
            "n": n
        }

    return render(
        request,
        "documents/diff.html",
        {
            "document": document,
            "a": a,
            "b": b,
            "diff_html": textops.diff_html(hunks, skipped),
            "changes": sum(1 for h in hunks if h.op in ("insert", "delete")),
        },
    )


def revision(request, public_id, number):
    document = _document_or_404(request, public_id)
    _require(request, "document.history.view", document)
    found = get_object_or_404(document.revisions, number=number)
    return render(
        request,
        "documents/revision.html",
        {
            "document": document,
            "revision": found,
            "html": textops.render_markdown(services.revision_body(found)),
            "can_restore": access.can(request.user, "document.restore", document),
        },
    )


@login_required
@require_POST
def restore(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "document.restore", document)
    number = _number(request.POST.get("number"), "number")
    try:
        revision = services.revision_restore(
            by=request.user, document=document, number=number
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Revision %(old)s is restored as revision %(new)s.")
            % {"old": number, "new": revision.number},
        )
    return redirect(document)


@login_required
@require_POST
def comment(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "document.comment", document)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(
                by=request.user,
                document=document,
                body=form.cleaned_data["body"],
                quote=form.cleaned_data["quote"],
                offset=form.cleaned_data.get("offset") or 0,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your comment is added."))
    else:
        messages.error(request, _("Write the comment."))
    return redirect(f"{document.get_absolute_url()}#comments")


def _comment_or_404(request, pk) -> Comment:
    return get_object_or_404(
        Comment.objects.filter(access.visible_filter(request.user, "document__"))
        .select_related("document__unit", "document__group", "document__audience_unit")
        .select_related("parent"),
        pk=pk,
    )


@login_required
@require_POST
def reply(request, pk):
    parent = _comment_or_404(request, pk)
    document = parent.document
    _require(request, "document.comment", document)
    form = ReplyForm(request.POST)
    if form.is_valid():
        services.comment_create(
            by=request.user,
            document=document,
            body=form.cleaned_data["body"],
            parent=parent,
        )
    return redirect(
        f"{document.get_absolute_url()}#comment-{parent.parent_id or parent.pk}"
    )


@login_required
@require_POST
def resolve(request, pk):
    comment = _comment_or_404(request, pk)
    _require(request, "comment.resolve", comment)
    services.comment_resolve(
        by=request.user, comment=comment, resolved=request.POST.get("resolved") != "0"
    )
    return redirect(f"{comment.document.get_absolute_url()}#comments")


@login_required
@require_POST
def upload(request, public_id):
    document = _document_or_404(request, public_id)
    _require(request, "file.upload", document)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_upload(
                by=request.user, document=document, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The file is kept beside the document."))
    else:
        messages.error(request, " ".join(form.errors.get("file", [])))
    return redirect(f"{document.get_absolute_url()}#files")


def _attachment_or_404(request, public_id) -> Attachment:
    return get_object_or_404(
        Attachment.objects.filter(
            access.visible_filter(request.user, "document__")
        ).select_related(
            "document__unit", "document__group", "document__audience_unit"
        ),
        public_id=public_id,
    )


def file(request, public_id):
    attachment = _attachment_or_404(request, public_id)
    _require(request, "document.view", attachment.document)
    return file_response(attachment.file, download_name=attachment.name)


@login_required
@require_POST
def file_delete(request, public_id):
    attachment = _attachment_or_404(request, public_id)
    services.attachment_delete(by=request.user, attachment=attachment)
    messages.success(request, _("The file is removed."))
    return redirect(f"{attachment.document.get_absolute_url()}#files")


def amendments(request, public_id):
    document = _document_or_404(request, public_id)
    can_propose = access.can(request.user, "amendment.propose", document)
    form = AmendmentForm(request.POST or None)
    if request.method == "POST":
        if not can_propose:
            raise PermissionDenied("amendment.propose")
        if form.is_valid():
            try:
                amendment = services.amendment_propose(
                    by=request.user, document=document, **form.cleaned_data
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Amendment %(n)s is proposed.") % {"n": amendment.number},
                )
                return redirect("documents:amendments", public_id=document.public_id)
    rows = list(
        document.amendments.select_related("author", "on_behalf_of").order_by("number")
    )
    for row in rows:
        row.may_decide = access.can(request.user, "amendment.decide", row)
        row.may_submit = access.can(request.user, "amendment.submit", row)
        row.may_withdraw = access.can(request.user, "amendment.withdraw", row)
    targets = []
    if any(row.may_submit for row in rows) and document.unit_id:
        targets = [
            d
            for d in selectors.visible_documents(request.user).filter(
                unit__path__in=document.unit.ancestor_paths,
                amendments_until__isnull=False,
            )[:20]
            if d.amendments_open
        ]
    return render(
        request,
        "documents/amendments.html",
        {
            "document": document,
            "amendments": rows,
            "form": form if can_propose and document.amendments_open else None,
            "targets": targets,
        },
    )


def amended(request, public_id):
    document = _document_or_404(request, public_id)
    open_ones = document.amendments.filter(status__in=["proposed", "voting"])
    pieces, apart = selectors.amendments_in_place(document.body, open_ones)
    return render(
        request,
        "documents/amended.html",
        {"document": document, "pieces": pieces, "apart": apart},
    )


def _amendment_or_404(request, public_id) -> Amendment:
    return get_object_or_404(
        Amendment.objects.filter(
            access.visible_filter(request.user, "document__")
        ).select_related(
            "document__unit", "document__group", "document__audience_unit"
        ),
        public_id=public_id,
    )


@login_required
@require_POST
def amendment_decide(request, public_id):
    amendment = _amendment_or_404(request, public_id)
    status = request.POST.get("status", "")
    try:
        if status == Amendment.Status.WITHDRAWN:
            services.amendment_withdraw(by=request.user, amendment=amendment)
        else:
            _require(request, "amendment.decide", amendment)
            services.amendment_decide(
                by=request.user, amendment=amendment, status=status
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Amendment %(n)s: done.") % {"n": amendment.number})
    return redirect("documents:amendments", public_id=amendment.document.public_id)


@login_required
@require_POST
def amendment_submit(request, public_id):
    amendment = _amendment_or_404(request, public_id)
    _require(request, "amendment.submit", amendment)
    target = access.get_visible_or_404(
        request.user, Document, public_id=request.POST.get("to", "")
    )
    try:
        services.amendment_submit(by=request.user, amendment=amendment, to=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The amendment is submitted to %(title)s.") % {"title": target.title},
        )
    return redirect("documents:amendments", public_id=amendment.document.public_id)
