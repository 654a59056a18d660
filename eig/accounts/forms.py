from django import forms
from django.utils.translation import gettext_lazy as _

from eig import forms as eig_forms
from eig.accounts.models import Role
from eig.accounts.services import user_complete_signup


def _first_name_field():
    return forms.CharField(
        label=_("Prénom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )


def _last_name_field():
    return forms.CharField(
        label=_("Nom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )


class SignupForm(eig_forms.Form):
    """Extra fields of allauth's sign-up form. Only agents and candidates sign up by
    themselves; jurors, coaches and staff are named by the programme team."""

    SELF_SERVICE_ROLES = [
        (Role.AGENT.value, _("Agent public : je dépose un défi pour mon administration")),
        (Role.CANDIDATE.value, _("Candidat·e : je postule pour devenir EIG")),
    ]

    first_name = _first_name_field()
    last_name = _last_name_field()
    role = forms.ChoiceField(
        label=_("Vous êtes"), choices=SELF_SERVICE_ROLES, widget=forms.RadioSelect
    )

    field_order = ["first_name", "last_name", "email", "role", "password1", "password2"]

    def signup(self, request, user):
        user_complete_signup(
            user=user,
            first_name=self.cleaned_data["first_name"],
            last_name=self.cleaned_data["last_name"],
            role=self.cleaned_data["role"],
        )


class ProfileForm(eig_forms.Form):
    first_name = _first_name_field()
    last_name = _last_name_field()
    job_title = forms.CharField(
        label=_("Fonction"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    phone = forms.CharField(
        label=_("Téléphone professionnel"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )


class AccountEraseForm(eig_forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("Je comprends que la suppression de mon compte est définitive."),
        error_messages={"required": _("Cochez la case pour confirmer la suppression.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "Mot de passe incorrect : votre compte n'est pas supprimé.", code="wrong_password"
            )
        return password
