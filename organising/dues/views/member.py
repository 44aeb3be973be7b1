"""The member's own dues: what they owe and paid, their bracket, a payment they
declare, their direct debit mandate and their receipts."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from federation import access
from organising.web import show_errors

from .. import selectors, services
from ..forms import (
    BracketForm,
    DeclaredPaymentForm,
    MandateForm,
    PostalAddressForm,
    bracket_form_for,
)
from ..models import Mandate, PostalAddress
from ..rates import load_schedules, schedule_in_force
from .common import error_text, receipt_response


def own_dues(view):
    """Signed in, and someone who has dues (an adherent, or a former member for
    what they paid): a sympathiser has no dues page (404)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not access.can(request.user, "dues.own.view", request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@own_dues
def mine(request):
    dues = selectors.my_dues(request.user)
    context = {
        "dues": dues,
        "bracket_form": bracket_form_for(dues),
        "reference": services.member_reference(request.user),
    }
    return render(request, "dues/mine.html", context)


@own_dues
@require_POST
def bracket(request):
    schedule = schedule_in_force()
    if schedule is None:
        raise Http404
    form = BracketForm(request.POST, schedule=schedule)
    if not form.is_valid():
        messages.error(request, _("Choose a bracket."))
        return redirect("dues:mine")
    try:
        services.declaration_set(
            member=request.user,
            income_floor_cents=form.cleaned_data["bracket"],
            category=form.cleaned_data["category"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, _("Your bracket is saved: it applies to the next dues.")
        )
    return redirect("dues:mine")


@own_dues
def declare(request):
    form = DeclaredPaymentForm(request.POST or None, schedules=load_schedules())
    if request.method == "POST" and form.is_valid():
        try:
            services.declared_payment_create(
                member=request.user, **form.payment_fields()
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request, _("Thank you: your treasurer will confirm the payment.")
            )
            return redirect("dues:mine")
    return render(request, "dues/declare.html", {"form": form})


@own_dues
def mandate(request):
    form = MandateForm(
        request.POST or None, initial={"holder_name": request.user.display_name}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.mandate_create(
                member=request.user,
                holder_name=data["holder_name"],
                iban=data["iban"],
                bic=data["bic"],
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Your direct debit mandate is registered."))
            return redirect("dues:mine")
    current = selectors.active_mandate(member=request.user)
    return render(request, "dues/mandate.html", {"form": form, "current": current})


@own_dues
@require_POST
def mandate_revoke(request, pk: int):
    found = get_object_or_404(Mandate, pk=pk, member=request.user)
    services.mandate_revoke(mandate=found, by=request.user)
    messages.success(
        request, _("Your mandate is revoked: no further debit will be made.")
    )
    return redirect("dues:mine")


@own_dues
def address(request):
    """The postal address my tax receipts name."""
    current = PostalAddress.objects.filter(member=request.user).first()
    form = PostalAddressForm(
        request.POST or None, initial={"address": current.lines if current else ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.postal_address_set(
                member=request.user, lines=form.cleaned_data["address"]
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, _("Your postal address is saved."))
            return redirect("dues:mine")
    return render(request, "dues/address.html", {"form": form})


@own_dues
def my_receipt(request, year: int):
    try:
        receipt = services.receipt_issue(
            member=request.user, year=year, by=request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("dues:mine")
    return receipt_response(receipt)
