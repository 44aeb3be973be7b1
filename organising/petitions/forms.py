"""Forms of petitions: the signature (its fields follow what the petition asks, with
a honeypot), and the officers' petition form. Forms check shape; the services
decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Petition
from .services import HONEYPOT_FIELD


class SignatureForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=80)
    last_name = forms.CharField(label=_("Last name"), max_length=80)
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={"invalid": _("Give a valid e-mail address.")},
    )
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    commune = forms.CharField(label=_("Commune"), max_length=120)
    phone = forms.CharField(label=_("Phone (optional)"), max_length=30, required=False)
    consent_contact = forms.BooleanField(required=False)
    show_publicly = forms.BooleanField(
        label=_("Show my first name and commune on this page"), required=False
    )
    # Hidden from people (CSS and aria-hidden); bots fill every field.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, petition: Petition, **kwargs):
        super().__init__(*args, **kwargs)
        assert HONEYPOT_FIELD == "website"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["postcode"].widget.attrs.update(
            {"autocomplete": "postal-code", "inputmode": "numeric"}
        )
        self.fields["phone"].widget.attrs.update(
            {"autocomplete": "tel", "inputmode": "tel"}
        )
        if petition.location != Petition.Location.POSTCODE:
            del self.fields["postcode"]
        if petition.location == Petition.Location.NONE:
            del self.fields["commune"]
        elif petition.location == Petition.Location.POSTCODE:
            self.fields["commune"].required = False
            self.fields["commune"].label = _("Commune (optional)")
        if not petition.ask_phone:
            del self.fields["phone"]
        if petition.consent_text:
            self.fields["consent_contact"].label = petition.consent_text
        else:
            del self.fields["consent_contact"]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["honeypot"] = data.pop(HONEYPOT_FIELD, "")
        return data


class PetitionForm(forms.ModelForm):
    ends_at = forms.DateTimeField(
        label=_("End date (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = Petition
        fields = [
            "title",
            "text",
            "goal",
            "ends_at",
            "location",
            "ask_phone",
            "consent_text",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 12})}
        help_texts = {
            "text": _(
                "Paragraphs, links, lists, headings and emphasis are kept (simple HTML "
                "or plain text); anything else is removed."
            ),
            "consent_text": _(
                "For example: “I agree that the section contacts me about this "
                "campaign.” Empty: signers are not asked."
            ),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("ends_at") and timezone.is_naive(data["ends_at"]):
            data["ends_at"] = timezone.make_aware(data["ends_at"])
        return data

    @classmethod
    def initial_for(cls, petition: Petition) -> dict:
        ends = petition.ends_at
        return {
            "ends_at": timezone.localtime(ends).replace(tzinfo=None) if ends else None
        }
