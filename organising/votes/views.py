"""Web pages of the votes: my votes, a vote (cast, change, proxy), the officers'
form, results with the breakdown and the count's rounds, the printable minutes,
the CSV export, receipts, the electorate. Each view parses, fetches through the
policy, calls one service, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from federation import access
from federation.models import Unit
from organising import csvexport

from . import results, selectors, services
from .forms import ProxyForm, ReceiptForm, VoteForm
from .models import Ballot, Proxy, Vote


def _vote_or_404(request, public_id, action: str = "vote.view") -> Vote:
    vote = access.get_visible_or_404(
        request.user,
        Vote.objects.select_related(
            "unit", "group", "audience_unit", "audience_group", "event"
        ),
        public_id=public_id,
    )
    if not access.can(request.user, "vote.view", vote):
        raise Http404
    if action != "vote.view":
        access.require(request.user, action, vote)
    return vote


def _errors(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [m for msgs in error.message_dict.values() for m in msgs]
    return error.messages


@login_required
@require_GET
def mine(request):
    """The votes I may take part in or follow: open, coming (drafts for officers),
    closed."""
    open_votes = selectors.votes_for(request.user, "open")
    return render(
        request,
        "votes/list.html",
        {
            "open_votes": open_votes,
            "drafts": selectors.votes_for(request.user, "draft", limit=20),
            "closed_votes": selectors.votes_for(request.user, "closed", limit=20),
            "voted": selectors.voted_ids(request.user, open_votes),
            "units": access.units_with_office(
                request.user, frozenset({access.SECRETARY, access.OFFICER})
            ).order_by("path")[:30],
        },
    )


@login_required
@require_GET
def open_fragment(request):
    """The home page's block of my open votes (loaded by htmx, never stored with
    the cached home page)."""
    votes = selectors.votes_for(request.user, "open", limit=5)
    voted = selectors.voted_ids(request.user, votes)
    return render(request, "votes/_open.html", {"votes": votes, "voted": voted})


def _choices_from(request, vote: Vote) -> list[int]:
    if vote.kind == Vote.Kind.RANKED:
        picked = []
        for rank in range(1, vote.options.count() + 1):
            value = request.POST.get(f"rank_{rank}", "")
            if value != "":
                picked.append(value)
        return picked
    return request.POST.getlist("choice")


def _page(request, vote: Vote, **extra):
    user = request.user
    options = list(vote.options.all())
    context = {
        "vote": vote,
        "options": options,
        "ranks": range(1, len(options) + 1),
        "turnout": selectors.turnout(vote) if vote.status != "draft" else None,
        "can_cast": access.can(user, "vote.cast", vote) and vote.is_open,
        "can_manage": access.can(user, "vote.manage", vote),
        "can_results": access.can(user, "vote.results.view", vote),
        "can_electorate": access.can(user, "vote.electorate.view", vote),
        "can_proxy": access.can(user, "vote.proxy.give", vote),
        "has_voted": vote.participations.filter(member_id=user.pk).exists(),
        "proxies_held": list(
            Proxy.objects.filter(
                vote=vote, holder_id=user.pk, withdrawn_at__isnull=True
            ).select_related("giver")
        ),
        "proxy_given": Proxy.objects.filter(
            vote=vote, giver_id=user.pk, withdrawn_at__isnull=True
        ).first(),
        "receipt_form": ReceiptForm(),
        "proxy_form": ProxyForm(),
        **extra,
    }
    return render(request, "votes/vote.html", context)


@login_required
@require_GET
def vote_detail(request, public_id):
    return _page(request, _vote_or_404(request, public_id))


@login_required
@require_POST
def cast(request, public_id):
    """Cast a ballot (mine, or one for a member whose proxy I hold). The receipt is
    shown once, on the page that answers."""
    vote = _vote_or_404(request, public_id, "vote.cast")
    for_member = None
    if request.POST.get("for_member"):
        proxy = Proxy.objects.filter(
            vote=vote,
            holder_id=request.user.pk,
            giver__public_id=request.POST["for_member"],
        ).select_related("giver")
        try:
            proxy = proxy.first()
        except (ValueError, ValidationError):
            proxy = None
        if proxy is None:
            return _page(request, vote, errors=[_("You hold no proxy from them.")])
        for_member = proxy.giver
    receipt_code = request.POST.get("receipt", "")
    try:
        if receipt_code:
            services.ballot_change(
                vote=vote,
                by=request.user,
                receipt=receipt_code,
                choices=_choices_from(request, vote),
            )
            messages.success(request, _("Your ballot was changed."))
            return redirect(vote.get_absolute_url())
        receipt = services.ballot_cast(
            vote=vote,
            by=request.user,
            choices=_choices_from(request, vote),
            for_member=for_member,
        )
    except ValidationError as error:
        return _page(request, vote, errors=_errors(error))
    return _page(request, vote, receipt=receipt, cast_for=for_member)


@login_required
@require_POST
def proxy_give(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.proxy.give")
    form = ProxyForm(request.POST)
    if not form.is_valid():
        return _page(request, vote, proxy_form=form)
    holder = (
        get_user_model()
        .objects.filter(email__iexact=form.cleaned_data["holder"], is_active=True)
        .first()
    )
    try:
        services.proxy_give(vote=vote, by=request.user, holder=holder)
    except ValidationError as error:
        return _page(request, vote, errors=_errors(error))
    messages.success(request, _("Your proxy was given."))
    return redirect(vote.get_absolute_url())


@login_required
@require_POST
def proxy_withdraw(request, public_id):
    vote = _vote_or_404(request, public_id)
    proxy = Proxy.objects.filter(
        vote=vote, giver_id=request.user.pk, withdrawn_at__isnull=True
    ).first()
    if proxy is None:
        raise Http404
    try:
        services.proxy_withdraw(proxy=proxy, by=request.user)
    except ValidationError as error:
        return _page(request, vote, errors=_errors(error))
    messages.success(request, _("Your proxy was withdrawn."))
    return redirect(vote.get_absolute_url())


@login_required
@require_GET
def turnout(request, public_id):
    """The live block of the vote's page: turnout, and results where allowed."""
    vote = _vote_or_404(request, public_id)
    result = None
    if access.can(request.user, "vote.results.view", vote):
        result = results.result_of(vote)
    return render(
        request,
        "votes/_turnout.html",
        {
            "vote": vote,
            "turnout": selectors.turnout(vote),
            "result": result,
            "shares": zip(result.options, result.votes, strict=True) if result else [],
        },
    )


def _form_kwargs(form: VoteForm) -> dict:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "text": data["text"],
        "kind": data["kind"],
        "options": form.cleaned_options(),
        "max_choices": data["max_choices"],
        "seats": data["seats"],
        "opens_at": data["opens_at"],
        "closes_at": data["closes_at"],
        "quorum_percent": data["quorum_percent"],
        "quorum_count": data["quorum_count"],
        "secret": data["secret"],
        "results_while_open": data["results_while_open"],
        "adherents_only": data["adherents_only"],
        "dues_required": data["dues_required"],
        "allow_change": data["allow_change"],
        "max_proxies": data["max_proxies"],
    }


def _add_errors(form: VoteForm, error: ValidationError) -> None:
    for field, msgs in error.message_dict.items():
        form.add_error(field if field in form.fields else None, msgs)


@login_required
def vote_create(request):
    unit = get_object_or_404(Unit, slug=request.GET.get("unit", ""))
    access.require(request.user, "vote.create", unit)
    form = VoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            vote = services.vote_create(
                by=request.user,
                unit=unit,
                audience=form.cleaned_data["audience"],
                **_form_kwargs(form),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The vote was created."))
            return redirect(vote.get_absolute_url())
    return render(request, "votes/vote_form.html", {"form": form, "unit": unit})


@login_required
def vote_edit(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.manage")
    initial = {
        name: getattr(vote, name)
        for name in VoteForm.base_fields
        if hasattr(vote, name) and name != "options"
    }
    initial["options"] = "\n".join(vote.options.values_list("label", flat=True))
    form = VoteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.vote_edit(vote=vote, by=request.user, **_form_kwargs(form))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The vote was saved."))
            return redirect(vote.get_absolute_url())
    return render(
        request, "votes/vote_form.html", {"form": form, "unit": vote.unit, "vote": vote}
    )


@login_required
@require_POST
def vote_open(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.open")
    try:
        services.vote_open(vote=vote, by=request.user)
    except ValidationError as error:
        return _page(request, vote, errors=_errors(error))
    messages.success(request, _("The vote is open."))
    return redirect(vote.get_absolute_url())


@login_required
@require_POST
def vote_close(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.close")
    try:
        services.vote_close(vote=vote, by=request.user)
    except ValidationError as error:
        return _page(request, vote, errors=_errors(error))
    messages.success(request, _("The vote is closed."))
    return redirect(vote.get_absolute_url())


def _result_context(request, vote: Vote) -> dict:
    result = results.result_of(vote)
    labels = result.options
    rows = []
    for figures in result.breakdown:
        rows.append(
            {
                "figures": figures,
                "indent": figures.depth - vote.unit.depth,
                "cells": list(zip(labels, figures.votes, strict=True)),
            }
        )
    totals = list(zip(labels, result.votes, result.proxy_votes, strict=True))
    rounds = []
    for r in result.rounds or []:
        rounds.append(
            {
                **r,
                "cells": [(labels[int(c)], value) for c, value in r["totals"].items()],
                "elected_labels": [labels[c] for c in r["elected"]],
                "excluded_label": (
                    labels[r["excluded"]] if r["excluded"] is not None else ""
                ),
                "from_label": (
                    labels[r["transferred_from"]]
                    if r["transferred_from"] is not None
                    else ""
                ),
            }
        )
    matrix = None
    if result.pairwise:
        matrix = [
            (labels[a], list(zip(result.pairwise[a], result.paths[a], strict=True)))
            for a in range(len(labels))
        ]
    return {
        "vote": vote,
        "result": result,
        "totals": totals,
        "rows": rows,
        "rounds": rounds,
        "matrix": matrix,
        "labels": labels,
        "winners": [labels[w] for w in result.winners],
        "order": [labels[p] for p in result.order or []],
        "can_export": access.can(request.user, "vote.export", vote),
        "roll_call": (
            selectors.roll_call(vote, request.GET.get("after", ""))
            if not vote.secret
            else []
        ),
    }


@login_required
@require_GET
def results_page(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.results.view")
    return render(request, "votes/results.html", _result_context(request, vote))


@login_required
@require_GET
def minutes(request, public_id):
    """The printable minutes: the vote, its rules, who opened and closed it and
    when, the result with its breakdown."""
    vote = _vote_or_404(request, public_id, "vote.export")
    return render(request, "votes/minutes.html", _result_context(request, vote))


@login_required
@require_GET
def export(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.export")
    result = results.result_of(vote)
    header = [_("Unit"), _("Electorate"), _("Ballots"), _("By proxy"), *result.options]
    rows = [
        [
            f.name,
            f.electorate,
            f.ballots,
            f.by_proxy,
            *f.votes,
        ]
        for f in result.breakdown
    ]
    return csvexport.csv_response(
        [header, *rows],
        by=request.user,
        what="vote.results",
        target=vote,
        filename=f"vote-{vote.public_id}.csv",
        unit=vote.unit,
    )


@login_required
def receipt_check(request, public_id):
    """A voter checks their receipt: the ballot it names, as counted."""
    vote = _vote_or_404(request, public_id)
    form = ReceiptForm(request.GET or None)
    ballot = None
    searched = False
    if form.is_valid():
        searched = True
        ballot = Ballot.objects.filter(
            vote=vote, receipt=form.cleaned_data["receipt"].strip().upper()
        ).first()
    labels = list(vote.options.values_list("label", flat=True))
    published = None
    if access.can(request.user, "vote.receipts.view", vote) and "list" in request.GET:
        published = selectors.receipts_page(vote, request.GET.get("after", ""))
    return render(
        request,
        "votes/receipt.html",
        {
            "vote": vote,
            "form": form,
            "searched": searched,
            "ballot": ballot,
            "chosen": [labels[p] for p in ballot.positions] if ballot else [],
            "published": published,
            "next_after": (
                published[-1].receipt
                if published and len(published) == selectors.PAGE
                else ""
            ),
            "labels": labels,
        },
    )


@login_required
@require_GET
def electorate(request, public_id):
    vote = _vote_or_404(request, public_id, "vote.electorate.view")
    try:
        after = int(request.GET.get("after", 0))
    except ValueError:
        after = 0
    rows = selectors.electorate_page(vote, after)
    return render(
        request,
        "votes/electorate.html",
        {
            "vote": vote,
            "rows": rows,
            "next_after": rows[-1]["member_id"]
            if len(rows) == selectors.PAGE
            else None,
        },
    )
