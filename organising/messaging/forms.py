"""Web forms: they check shape; the services check the rules."""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from federation import access
from federation.models import Audience, Group, Unit

from .images import MAX_IMAGES
from .models import MESSAGE_MAX_LENGTH, POST_MAX_LENGTH, NotificationSettings, Reaction


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Up to MAX_IMAGES files; their content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleImageField, self).clean(item, initial) for item in files]


def audience_choices(user) -> list[tuple[str, str]]:
    """What the member may post to, as "<audience>:<unit or group id>" values: each
    candidate (their cell, the party, the public, the units of their offices, their
    groups) is offered if the policy lets them address it (`access.can_address`;
    "public@unit" and "party@unit" also ask to publish in that unit)."""
    viewer = access.viewer_for(user)
    home = viewer.home
    candidates: list[tuple[str, tuple, str]] = []  # (value, can_address args, label)
    if home is not None:
        label = _("My cell (%(unit)s)") % {"unit": home}
        candidates.append((f"unit:{home.pk}", ((Audience.UNIT, home),), label))
    candidates.append(("party", ((Audience.PARTY, None),), _("The whole party")))
    candidates.append(("public", ((Audience.PUBLIC, None),), _("Everyone (public)")))
    office_units = Unit.objects.filter(pk__in=viewer.office_unit_ids).order_by("path")
    for unit in office_units:
        # The offices that publish for a unit (and below).
        if not access.can_address(user, Audience.UNIT_TREE, unit):
            continue
        names = {"unit": unit}
        from_unit = (Audience.UNIT, unit)
        candidates.append(
            (
                f"unit_tree:{unit.pk}",
                ((Audience.UNIT_TREE, unit),),
                _("%(unit)s and every unit below") % names,
            )
        )
        if home is None or unit.pk != home.pk:
            candidates.append(
                (f"unit:{unit.pk}", (from_unit,), _("%(unit)s only") % names)
            )
        candidates.append(
            (
                f"officers:{unit.pk}",
                ((Audience.OFFICERS, unit),),
                _("Officers of %(unit)s") % names,
            )
        )
        candidates.append(
            (
                f"party@{unit.pk}",
                ((Audience.PARTY, None), from_unit),
                _("The whole party, from %(unit)s") % names,
            )
        )
        candidates.append(
            (
                f"public@{unit.pk}",
                ((Audience.PUBLIC, None), from_unit),
                _("Everyone, from %(unit)s") % names,
            )
        )
    choices = [
        (value, label)
        for value, checks, label in candidates
        if all(access.can_address(user, audience, ref) for audience, ref in checks)
    ]
    groups = (
        Group.objects.filter(pk__in=viewer.group_ids).order_by("name")
        if viewer.group_ids
        else []
    )
    for group in groups:
        if access.can_address(user, Audience.GROUP, group=group):
            choices.append(
                (f"group:{group.pk}", _("Group: %(group)s") % {"group": group})
            )
    return choices


def parse_audience(value: str) -> dict:
    """ "unit_tree:12" → service arguments; raises ValueError on anything else."""
    value = (value or "").strip()
    kind, sep, ref = value.partition(":")
    if sep:
        pk = int(ref)
        if kind == Audience.GROUP:
            return {"audience": kind, "audience_group": Group.objects.get(pk=pk)}
        if kind in (Audience.UNIT, Audience.UNIT_TREE, Audience.OFFICERS):
            return {"audience": kind, "audience_unit": Unit.objects.get(pk=pk)}
        raise ValueError(value)
    kind, at, ref = value.partition("@")
    if kind not in (Audience.PUBLIC, Audience.PARTY):
        raise ValueError(value)
    return {"audience": kind, "unit": Unit.objects.get(pk=int(ref)) if at else None}


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=POST_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": POST_MAX_LENGTH}),
    )
    audience = forms.ChoiceField(label=_("Who can see it"))
    # Interpolated when shown: `%` on a lazy string would fix the language at import.
    images = MultipleImageField(
        label=lazy(lambda: _("Images (up to %(n)d)") % {"n": MAX_IMAGES}, str)()
    )

    def __init__(self, *args, user, initial_audience: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = audience_choices(user)
        self.fields["audience"].choices = choices
        if initial_audience and initial_audience in dict(choices):
            self.fields["audience"].initial = initial_audience

    def clean_audience(self) -> dict:
        try:
            return parse_audience(self.cleaned_data["audience"])
        except (ValueError, Unit.DoesNotExist, Group.DoesNotExist):
            raise forms.ValidationError(_("Choose an audience.")) from None


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"),
        max_length=POST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": POST_MAX_LENGTH}),
    )


class EditForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=POST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": POST_MAX_LENGTH}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReactForm(forms.Form):
    """One button per reaction: "like.1" adds it, "like.0" takes it back."""

    reaction = forms.ChoiceField(
        choices=[(f"{kind}.{on}", kind) for kind in Reaction.Kind.values for on in "10"]
    )

    def clean(self) -> dict:
        data = super().clean()
        if "reaction" in data:
            kind, on = data["reaction"].split(".")
            data["kind"], data["on"] = kind, on == "1"
        return data


class RelayForm(forms.Form):
    audience = forms.ChoiceField(label=_("Relay to"))
    body = forms.CharField(
        label=_("Comment (optional)"),
        max_length=POST_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for unit in units:
            choices.append(
                (
                    f"unit_tree:{unit.pk}",
                    _("%(unit)s and every unit below") % {"unit": unit},
                )
            )
            choices.append((f"unit:{unit.pk}", _("%(unit)s only") % {"unit": unit}))
        self.fields["audience"].choices = choices

    def clean_audience(self) -> dict:
        try:
            return parse_audience(self.cleaned_data["audience"])
        except (ValueError, Unit.DoesNotExist, Group.DoesNotExist):
            raise forms.ValidationError(_("Choose an audience.")) from None


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": MESSAGE_MAX_LENGTH}),
    )
    client_key = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput
    )


class ConversationForm(forms.Form):
    people = forms.CharField(
        label=_("To"),
        help_text=_("@names of the members, separated by spaces (up to 49)."),
        max_length=3000,
    )
    title = forms.CharField(
        label=_("Title (group conversations)"), max_length=120, required=False
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
    )

    def clean_people(self) -> list[str]:
        names = [
            name.lstrip("@").lower()
            for name in self.cleaned_data["people"].replace(",", " ").split()
        ]
        names = [name for name in dict.fromkeys(names) if name]
        if not names:
            raise forms.ValidationError(_("Choose who to write to."))
        return names


class NotificationSettingsForm(forms.Form):
    email = forms.ChoiceField(
        label=_("E-mail me what I have not read"),
        choices=NotificationSettings.Email.choices,
        widget=forms.RadioSelect,
    )
