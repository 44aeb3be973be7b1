from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from federation.models import Unit

from .models import Application, Membership, Role, User


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    display_name = forms.CharField(label=_("Name"), max_length=120, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=Membership.Status, initial=Membership.Status.ADHERENT
    )


class InvitationAcceptForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=120)
    password = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    password_again = forms.CharField(
        label=_("The same password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class RoleAssignForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the member"),
        help_text=_("An adherent of this unit or of a unit below it."),
    )
    kind = forms.ChoiceField(label=_("Office"), choices=Role.Kind.choices)


class TransferForm(forms.Form):
    to_cell = forms.ModelChoiceField(
        label=_("Transfer to the cell"), queryset=Unit.objects.none()
    )

    def __init__(self, *args, cells, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_cell"].queryset = cells


class PostcodeForm(forms.Form):
    postcode = forms.RegexField(
        label=_("Your postcode"),
        regex=r"^\s*\d{5}\s*$",
        error_messages={"invalid": _("A French postcode has five digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
        ),
    )


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["display_name", "email", "commune", "phone", "message"]
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}


class _CurrentAvatar:
    """What the file input shows of the current picture: a link to its access-checked
    address, not the storage's file name."""

    def __init__(self, member: User):
        self.url = member.avatar_url

    def __str__(self) -> str:
        return str(_("your current picture"))


class AvatarInput(forms.ClearableFileInput):
    def format_value(self, value):
        if self.is_initial(value):
            return _CurrentAvatar(value.instance)
        return super().format_value(value)


class ProfileForm(forms.ModelForm):
    # Only the shape here: the service checks and re-encodes the picture.
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        widget=AvatarInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("What other members may see"),
        choices=[
            ("commune", _("Commune")),
            ("phone", _("Phone")),
            ("email", _("E-mail address")),
            ("bio", _("Bio")),
            ("avatar", _("Avatar")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = User
        fields = ["display_name", "commune", "phone", "avatar", "bio", "shared_fields"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("Where you will use it, e.g. “my spreadsheet”."),
    )


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Current members")),
            *Membership.Status.choices,
            ("former", _("former member")),
        ],
    )


class FirstPasswordForm(InvitationAcceptForm):
    """An accepted applicant's first password (their name is already known)."""

    display_name = None
