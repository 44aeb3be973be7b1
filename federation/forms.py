from django import forms
from django.utils.translation import gettext_lazy as _


class UnitCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_open = forms.BooleanField(
        label=_("Open: anyone in the unit joins without approval"),
        required=False,
        initial=True,
    )
    sympathisers_welcome = forms.BooleanField(
        label=_("Sympathisers of the unit may join too"), required=False
    )


class TerritoryForm(forms.Form):
    commune = forms.CharField(label=_("Commune"), max_length=120)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    insee_code = forms.CharField(label=_("INSEE code"), max_length=5, required=False)
