from crispy_forms.helper import FormHelper
from django import forms
from django.forms import modelform_factory
from django.utils.translation import gettext_lazy as _

from eig.files import validate_pdf
from eig.jury.models import JuryMember
from eig.jury.selectors import jury_members_active
from eig.programme.models import Specialty
from projects.jury import defi_list_for_jury
from projects.models import Defi, DefiPosition
from projects.sections import MAX_POSITIONS, Section

PITCH_DECK_MAX_BYTES = 10 * 1024 * 1024
PITCH_DECK_MAX_PAGES = 12


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the page's template owns the <form> and its buttons
    return helper


class DefiSectionForm(forms.ModelForm):
    """Base of every section's form. Drafts may leave fields blank; length limits and
    formats are checked at every save."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        for name, field in self.fields.items():
            model_field = Defi._meta.get_field(name)
            if isinstance(field.widget, forms.Textarea):
                limit = next(
                    (v.limit_value for v in model_field.validators if hasattr(v, "limit_value")),
                    None,
                )
                field.widget.attrs["rows"] = 5 if (limit or 0) <= 500 else 8
                if limit:
                    field.max_length = limit
                    field.widget.attrs["maxlength"] = limit
                    field.help_text = (
                        f"{field.help_text} " if field.help_text else ""
                    ) + f"{limit} caractères au plus."
            if name.endswith("_email"):
                field.widget.attrs.setdefault("autocomplete", "email")
                field.error_messages["invalid"] = _(
                    "Saisissez une adresse e-mail valide, par exemple prenom.nom@ministere.gouv.fr."
                )
            if name.endswith("_phone"):
                field.widget.attrs.setdefault("autocomplete", "tel")


def defi_section_form_class(section: Section) -> type[DefiSectionForm]:
    return modelform_factory(Defi, form=DefiSectionForm, fields=list(section.fields))


class DefiStartForm(forms.Form):
    title = forms.CharField(
        label=_("Nom du défi"),
        max_length=120,
        help_text=_("Vous pourrez le modifier jusqu'au dépôt."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DefiPositionForm(forms.ModelForm):
    class Meta:
        model = DefiPosition
        fields = ["specialty", "missions", "skills"]
        widgets = {
            "missions": forms.Textarea(attrs={"rows": 5, "maxlength": 1000}),
            "skills": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.fields["specialty"].required = False
        self.fields["specialty"].choices = [("", _("— Pas de profil —")), *Specialty.choices]
        self.fields["missions"].max_length = 1000
        self.fields["skills"].max_length = 500

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("specialty") and (cleaned.get("missions") or cleaned.get("skills")):
            self.add_error(
                "specialty",
                forms.ValidationError(
                    "Choisissez le métier de ce profil, ou videz ses missions et compétences.",
                    code="specialty_missing",
                ),
            )
        return cleaned

    def is_filled(self) -> bool:
        return bool(self.cleaned_data.get("specialty"))


class BaseDefiPositionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        specialties = [f.cleaned_data["specialty"] for f in self.forms if f.is_filled()]
        if not specialties:
            raise forms.ValidationError(
                "Indiquez au moins un profil ; il en faudra deux ou trois pour déposer le défi.",
                code="no_position",
            )

    def positions(self) -> list[dict]:
        return [
            {k: f.cleaned_data[k] for k in ("specialty", "missions", "skills")}
            for f in self.forms
            if f.is_filled()
        ]


DefiPositionFormSet = forms.formset_factory(
    DefiPositionForm,
    formset=BaseDefiPositionFormSet,
    extra=0,
    min_num=MAX_POSITIONS,
    max_num=MAX_POSITIONS,
    validate_max=True,
)


class PitchDeckForm(forms.Form):
    pitch_deck = forms.FileField(
        label=_("Présentation de synthèse"),
        help_text=_("Format PDF, 12 pages et 10 Mo au plus."),
        error_messages={
            "required": _("Choisissez le fichier PDF de votre présentation."),
            "empty": _("Le fichier envoyé est vide."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean_pitch_deck(self):
        upload = self.cleaned_data["pitch_deck"]
        validate_pdf(upload, max_bytes=PITCH_DECK_MAX_BYTES, max_pages=PITCH_DECK_MAX_PAGES)
        return upload


class DefiInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail professionnelle de votre collègue"),
        error_messages={
            "invalid": _(
                "Saisissez une adresse e-mail valide, par exemple prenom.nom@ministere.gouv.fr."
            )
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


# --- Selection (staff) ---------------------------------------------------------------------


class AssignmentRunForm(forms.Form):
    rebalance = forms.BooleanField(
        label=_("Redistribuer aussi les dossiers que les jurés n'ont pas commencés"),
        help_text=_(
            "Sinon, les affectations existantes sont gardées et seuls les manques sont comblés. "
            "Les évaluations commencées et les affectations faites à la main sont toujours "
            "gardées."
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class EvaluationAddForm(forms.Form):
    defi = forms.ModelChoiceField(
        label=_("Défi"),
        queryset=Defi.objects.none(),
        error_messages={
            "required": _("Choisissez un défi."),
            "invalid_choice": _("Ce défi n'est pas soumis à ce jury."),
        },
    )
    member = forms.ModelChoiceField(
        label=_("Juré"),
        queryset=JuryMember.objects.none(),
        error_messages={
            "required": _("Choisissez un juré."),
            "invalid_choice": _("Ce juré n'est pas dans le jury."),
        },
    )

    def __init__(self, *args, jury, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["defi"].queryset = (
            defi_list_for_jury(jury).select_related(None).prefetch_related(None).only("pk", "title")
        )
        self.fields["member"].queryset = jury_members_active(jury).select_related("user")
        self.helper = _helper()
