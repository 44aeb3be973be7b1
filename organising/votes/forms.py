"""Forms of the votes: shape only; the services decide the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Vote

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VoteForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=20000,
    )
    kind = forms.ChoiceField(label=_("Kind of vote"), choices=Vote.Kind.choices)
    options = forms.CharField(
        label=_("Options (one per line)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Not needed for a motion (for, against, abstain)."),
    )
    max_choices = forms.IntegerField(
        label=_("Multiple choice: at most this many"), required=False, min_value=1
    )
    seats = forms.IntegerField(
        label=_("Seats to fill (ranked: 1 = Schulze, more = STV)"),
        min_value=1,
        initial=1,
    )
    audience = forms.ChoiceField(
        label=_("Who votes"),
        choices=[
            ("unit_tree", _("This unit and every unit below")),
            ("unit", _("This unit only")),
            ("officers", _("The unit's officers")),
        ],
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=LOCAL)
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=LOCAL)
    quorum_percent = forms.IntegerField(
        label=_("Quorum (percent of the electorate)"),
        required=False,
        min_value=0,
        max_value=100,
    )
    quorum_count = forms.IntegerField(
        label=_("Quorum (number of voters)"), required=False, min_value=0
    )
    secret = forms.BooleanField(label=_("Secret ballot"), required=False, initial=True)
    results_while_open = forms.BooleanField(
        label=_("Results visible while open"), required=False
    )
    adherents_only = forms.BooleanField(
        label=_("Adherents only"), required=False, initial=True
    )
    dues_required = forms.BooleanField(
        label=_("Only members whose dues are up to date on the opening day"),
        required=False,
    )
    allow_change = forms.BooleanField(
        label=_("A voter may change their ballot until closing"), required=False
    )
    max_proxies = forms.IntegerField(
        label=_("Proxies one member may hold"), min_value=0, max_value=10, initial=2
    )

    def cleaned_options(self) -> list[str]:
        text = self.cleaned_data.get("options") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt code"), max_length=20)


class ProxyForm(forms.Form):
    holder = forms.EmailField(label=_("E-mail address of the member you trust"))
