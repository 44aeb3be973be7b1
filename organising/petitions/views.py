"""Web pages of petitions: the public page (cached for anonymous visitors), its
count (polled by htmx), its signers, the embeddable counter and badge; signing,
confirming and withdrawing by the e-mailed link; the officers' pages (a unit's
petitions, the form, the petition's page with its activity, the signatures and
their CSV)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from federation import access
from federation.models import Unit
from organising import ratelimits
from organising.web import show_errors

from . import pagecache, selectors, services
from .forms import PetitionForm, SignatureForm
from .models import Petition, Signature

EMBED_CSP = {
    "default-src": ["'none'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "frame-ancestors": ["*"],
    "base-uri": ["'none'"],
}


def _petition_or_404(request, slug, *, light: bool = False) -> Petition:
    """The petition if the user may see it (a draft is its officers' only)."""
    rows = Petition.objects.select_related("unit")
    if light:  # the hot path reads what the key and the count need
        rows = rows.defer("text", "text_html")
    petition = get_object_or_404(rows, slug=slug)
    if not access.can(request.user, "petition.view", petition):
        raise Http404
    return petition


def _for_action(request, slug, action: str) -> Petition:
    petition = _petition_or_404(request, slug)
    access.require(request.user, action, petition)
    return petition


def _count_html(petition: Petition) -> str:
    return render_to_string("petitions/_count.html", {"petition": petition})


def _page_context(request, petition: Petition, form=None) -> dict:
    return {
        "petition": petition,
        "unit": petition.unit,
        "form": form or SignatureForm(petition=petition),
        "can_sign": access.can(request.user, "petition.sign", petition),
        "can_manage": access.can(request.user, "petition.manage", petition),
        "share": _share_links(petition),
    }


def _share_links(petition: Petition) -> list[tuple[str, str]]:
    from urllib.parse import quote

    url, text = quote(petition.uri, safe=""), quote(petition.title, safe="")
    return [
        ("WhatsApp", f"https://wa.me/?text={text}%20{url}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}"),
        ("X", f"https://x.com/intent/post?text={text}&url={url}"),
        ("Bluesky", f"https://bsky.app/intent/compose?text={text}%20{url}"),
        ("Telegram", f"https://t.me/share/url?url={url}&text={text}"),
        (_("E-mail"), f"mailto:?subject={text}&body={url}"),
    ]


@require_GET
def index(request):
    """Open petitions (the latest 50), and for officers the units whose petitions
    they run (those where they hold an office themselves)."""
    petitions = (
        Petition.objects.filter(status=Petition.Status.OPEN)
        .select_related("unit")
        .defer("text", "text_html")
        .order_by("-opened_at", "-pk")[:50]
    )
    viewer = access.viewer_for(request.user)
    units = [
        unit
        for unit in Unit.objects.filter(pk__in=viewer.office_unit_ids).order_by("path")
        if access.can(request.user, "petition.list", unit)
    ]
    return render(
        request, "petitions/index.html", {"petitions": petitions, "units": units}
    )


@require_GET
def public(request, slug):
    """The petition's page: the same for every anonymous visitor, so kept rendered
    under the petition's version (`pagecache`); the count is filled in each time."""
    petition = _petition_or_404(request, slug, light=True)
    if not pagecache.cacheable(request):
        petition.refresh_from_db(fields=["text", "text_html"])
        context = {**_page_context(request, petition)}
        context["count_hole"] = _count_html(petition)
        return render(request, "petitions/public.html", context)

    def build() -> str:
        petition.refresh_from_db(fields=["text", "text_html"])
        context = {**_page_context(request, petition), **pagecache.HOLES}
        return render_to_string(
            "petitions/public.html", context, request=pagecache.holed(request)
        )

    page_key, count_key = (
        pagecache.page_key(request, petition),
        pagecache.count_key(petition),
    )
    found = pagecache.stored_many(
        {
            page_key: (build, pagecache.PAGE_TTL),
            count_key: (lambda: _count_html(petition), pagecache.PAGE_TTL),
        }
    )
    return HttpResponse(pagecache.fill(request, found[page_key], found[count_key]))


@require_GET
def count(request, slug):
    """The count and progress bar alone (htmx polls it: anonymous pages have no
    socket)."""
    petition = _petition_or_404(request, slug, light=True)
    response = HttpResponse(_count_html(petition))
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def signers(request, slug):
    """The latest signers who agreed to be shown (first name and commune), kept
    under the petition's list version."""
    petition = _petition_or_404(request, slug, light=True)
    html = pagecache.stored(
        pagecache.list_key(petition),
        lambda: render_to_string(
            "petitions/_signers.html",
            {"signers": selectors.public_signers(petition), "petition": petition},
        ),
        pagecache.LIST_TTL,
    )
    return HttpResponse(html)


@require_POST
def sign(request, slug):
    petition = _petition_or_404(request, slug)
    form = SignatureForm(request.POST, petition=petition)
    if form.is_valid():
        try:
            services.signature_request(
                petition=petition,
                client_address=ratelimits.client_address(request),
                **form.service_fields(),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            return render(request, "petitions/sign_sent.html", {"petition": petition})
    context = {
        **_page_context(request, petition, form),
        "count_hole": _count_html(petition),
    }
    return render(request, "petitions/public.html", context, status=400)


@require_GET
def confirm(request, token):
    try:
        done = services.signature_confirm(token=token)
    except ValidationError as error:
        return _link_problem(request, error)
    return render(
        request,
        "petitions/confirmed.html",
        {
            "petition": done.petition,
            "already": done.already,
            "withdraw_url": reverse("petitions:withdraw", args=[token]),
        },
    )


def withdraw(request, token):
    """GET asks (a link previewer must not withdraw), POST withdraws."""
    signature = (
        Signature.objects.filter(token_hash=services.hash_token(token))
        .select_related("petition")
        .first()
    )
    if request.method == "POST":
        try:
            petition = services.signature_withdraw(token=token)
        except ValidationError as error:
            return _link_problem(request, error)
        return render(request, "petitions/withdrawn.html", {"petition": petition})
    if signature is None:
        return _link_problem(
            request, ValidationError(_("This link is not valid (any more)."))
        )
    return render(request, "petitions/withdraw.html", {"petition": signature.petition})


def _link_problem(request, error: ValidationError):
    status = 410 if error.code == "expired" else 404
    if error.code == "closed":
        status = 409
    return render(
        request,
        "petitions/link_problem.html",
        {"message": " ".join(error.messages)},
        status=status,
    )


@xframe_options_exempt
@csp_override(EMBED_CSP)
@require_GET
def embed(request, slug):
    """A small counter other sites may show in an iframe (the one route that may be
    framed)."""
    petition = _petition_or_404(request, slug, light=True)
    return render(request, "petitions/embed.html", {"petition": petition})


@require_GET
def badge(request, slug):
    """The count as an SVG image, for other sites' pages and e-mails."""
    petition = _petition_or_404(request, slug, light=True)
    svg = render_to_string("petitions/badge.svg", {"petition": petition})
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=60"
    return response


# --- Officers --------------------------------------------------------------------


@login_required
@require_GET
def unit_petitions(request, slug):
    unit = get_object_or_404(Unit, slug=slug)
    if not access.can(request.user, "petition.list", unit):
        raise Http404
    petitions = Petition.objects.filter(unit=unit).order_by("-created_at")[:200]
    return render(
        request,
        "petitions/unit.html",
        {
            "unit": unit,
            "petitions": petitions,
            "can_create": access.can(request.user, "petition.create", unit),
        },
    )


@login_required
def petition_create(request, slug):
    unit = get_object_or_404(Unit, slug=slug)
    if not access.can(request.user, "petition.create", unit):
        raise Http404
    form = PetitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            petition = services.petition_create(
                by=request.user, unit=unit, **form.service_fields()
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The petition is saved as a draft."))
            return redirect("petitions:manage", slug=petition.slug)
    return render(
        request,
        "petitions/form.html",
        {"form": form, "unit": unit, "title": _("New petition")},
    )


@login_required
def petition_edit(request, slug):
    petition = _for_action(request, slug, "petition.manage")
    initial = {**model_to_dict(petition), **PetitionForm.initial_for(petition)}
    form = PetitionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.petition_edit(
                petition=petition, by=request.user, **form.service_fields()
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("The petition is saved."))
            return redirect("petitions:manage", slug=petition.slug)
    return render(
        request,
        "petitions/form.html",
        {
            "form": form,
            "unit": petition.unit,
            "petition": petition,
            "title": _("Edit the petition"),
        },
    )


@login_required
@require_POST
def petition_status(request, slug):
    petition = _petition_or_404(request, slug)
    status = request.POST.get("status", "")
    try:
        services.petition_set_status(petition=petition, by=request.user, status=status)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The petition is open.")
            if status == Petition.Status.OPEN
            else _("The petition is closed."),
        )
    return redirect("petitions:manage", slug=petition.slug)


@login_required
@require_GET
def manage(request, slug):
    petition = _for_action(request, slug, "petition.manage")
    return render(
        request,
        "petitions/manage.html",
        {
            "petition": petition,
            "activity": selectors.activity(petition),
            "can_export": access.can(request.user, "petition.export", petition),
            "can_close": petition.status == Petition.Status.OPEN
            and access.can(request.user, "petition.close", petition),
            "can_open": Petition.Status.OPEN
            in Petition.TRANSITIONS.get(petition.status, ()),
            # The public address (SITE_URL), as the petition's own link.
            "embed_url": settings.SITE_URL
            + reverse("petitions:embed", args=[petition.slug]),
            "badge_url": settings.SITE_URL
            + reverse("petitions:badge", args=[petition.slug]),
        },
    )


def _before(request) -> tuple[datetime, int] | None:
    raw = request.GET.get("before", "")
    moment, _sep, pk = raw.rpartition("_")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(moment), int(pk)
    except ValueError:
        raise Http404 from None


@login_required
@require_GET
def signatures(request, slug):
    petition = _for_action(request, slug, "petition.signatures.view")
    rows = list(
        selectors.confirmed_signatures(petition, before=_before(request))[
            : selectors.OFFICERS_PAGE + 1
        ]
    )
    more = len(rows) > selectors.OFFICERS_PAGE
    rows = rows[: selectors.OFFICERS_PAGE]
    after = f"{rows[-1].confirmed_at.isoformat()}_{rows[-1].pk}" if more else None
    return render(
        request,
        "petitions/signatures.html",
        {
            "petition": petition,
            "rows": rows,
            "next": after,
            "can_export": access.can(request.user, "petition.export", petition),
        },
    )


@login_required
@require_GET
def export(request, slug):
    from organising import csvexport

    petition = _for_action(request, slug, "petition.export")
    header = [
        _("First name"),
        _("Last name"),
        _("E-mail"),
        _("Postcode"),
        _("Commune"),
        _("Phone"),
        _("May be contacted again"),
        _("Confirmed at"),
        _("Routed to"),
    ]

    def lines():
        yield header
        rows = selectors.confirmed_signatures(petition).iterator(chunk_size=2000)
        for s in rows:
            yield [
                s.first_name,
                s.last_name,
                s.email,
                s.postcode,
                s.commune,
                s.phone,
                _("yes") if s.consent_contact else _("no"),
                timezone.localtime(s.confirmed_at).strftime("%Y-%m-%d %H:%M"),
                s.routed_to.name if s.routed_to_id else "",
            ]

    return csvexport.csv_response(
        lines(),
        by=request.user,
        what="petition.signatures",
        target=petition,
        unit=petition.unit,
        filename=f"signatures-{petition.slug}.csv",
    )
