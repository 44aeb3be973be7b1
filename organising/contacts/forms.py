"""Forms of the contacts pages: they check shape; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .imports import ENCODINGS
from .models import ContactImport, Interaction

COVERS_CHOICES = [("email", _("E-mail")), ("phone", _("Phone"))]


class ContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=80, required=False)
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(label=_("Postal address"), max_length=300, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)
    commune = forms.CharField(label=_("Commune"), max_length=120, required=False)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        help_text=_("Separated by commas: market, housing…"),
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only what following this person up needs."),
    )


class ContactCreateForm(ContactForm):
    unit = forms.ChoiceField(label=_("Unit"))
    consent_source = forms.CharField(
        label=_("Where did they agree to be contacted?"),
        max_length=120,
        initial=_("Met in person"),
    )
    consent_covers = forms.MultipleChoiceField(
        label=_("They agree to be contacted by"),
        choices=COVERS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(unit.slug, unit.name) for unit in units]
        self.order_fields(["unit"])


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"), choices=Interaction.Kind)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class MemberChoiceForm(forms.Form):
    member = forms.ChoiceField(label=_("Member"))

    def __init__(self, *args, members=(), empty_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(m.public_id), m.display_name) for m in members]
        if empty_label:
            choices = [("", empty_label), *choices]
            self.fields["member"].required = False
        self.fields["member"].choices = choices


class ImportForm(forms.Form):
    unit = forms.ChoiceField(label=_("Into the unit"))
    file = forms.FileField(label=_("File (CSV or vCard)"))
    format = forms.ChoiceField(label=_("Format"), choices=ContactImport.Format)
    encoding = forms.ChoiceField(
        label=_("Encoding"), choices=list(ENCODINGS.items()), initial="utf-8"
    )
    consent_source = forms.CharField(
        label=_("Where did these people agree to be contacted?"), max_length=120
    )
    consent_at = forms.DateField(
        label=_("When"), widget=forms.DateInput(attrs={"type": "date"})
    )
    consent_covers = forms.MultipleChoiceField(
        label=_("They agreed to be contacted by"),
        choices=COVERS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(unit.slug, unit.name) for unit in units]
