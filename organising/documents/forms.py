"""Forms of documents: they check shape; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from federation.models import Audience

from .models import Amendment, Document

UNIT_AUDIENCES = [
    (Audience.UNIT_TREE, Audience.UNIT_TREE.label),
    (Audience.UNIT, Audience.UNIT.label),
    (Audience.OFFICERS, Audience.OFFICERS.label),
    (Audience.PARTY, Audience.PARTY.label),
    (Audience.PUBLIC, Audience.PUBLIC.label),
]
GROUP_AUDIENCES = [
    (Audience.GROUP, Audience.GROUP.label),
    (Audience.PUBLIC, Audience.PUBLIC.label),
]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SettingsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    audience = forms.ChoiceField(label=_("Who may read it"), choices=UNIT_AUDIENCES)
    editors = forms.ChoiceField(label=_("Who may edit it"), choices=Document.Editors)
    folder = forms.ChoiceField(label=_("Folder"), required=False)
    new_folder = forms.CharField(
        label=_("Or a new folder"), max_length=120, required=False
    )
    amendments_until = forms.DateTimeField(
        label=_("Open for amendments until"),
        required=False,
        widget=LocalDateTimeInput(),
        help_text=_("Leave empty: not open for amendments."),
    )

    def __init__(self, *args, group: bool = False, folders=(), **kwargs):
        super().__init__(*args, **kwargs)
        if group:
            self.fields["audience"].choices = GROUP_AUDIENCES
            del self.fields["folder"]
            del self.fields["new_folder"]
        else:
            self.fields["folder"].choices = [("", _("No folder"))] + [
                (str(folder.pk), folder.name) for folder in folders
            ]


class CreateForm(SettingsForm):
    body = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "true"}),
    )


class SaveForm(forms.Form):
    body = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=_(
            "# a heading, **bold**, *italics*, - a list, [a link](https://…), "
            "| tables |. HTML is shown as text."
        ),
    )
    summary = forms.CharField(
        label=_("What changed (optional)"), max_length=300, required=False
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class CommentForm(forms.Form):
    quote = forms.CharField(
        label=_("Passage (copy it from the text, or select it)"),
        max_length=1000,
        required=False,
    )
    offset = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    body = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AmendmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Amendment.Kind)
    quote = forms.CharField(
        label=_("Passage (copied exactly from the text)"),
        max_length=20000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    text = forms.CharField(
        label=_("New text"),
        max_length=20000,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty for a deletion."),
    )
    justification = forms.CharField(
        label=_("Justification"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (PDF, office document or image, 10 MB at most)"),
        max_length=1000,
    )
