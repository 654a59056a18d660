from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms import modelform_factory
from django.utils.translation import gettext_lazy as _

from eig import forms as eig_forms
from eig.files import validate_pdf
from eig.programme.costs import Band, Rules
from eig.programme.models import Specialty, WorkTime
from eig.programme.money import format_euros, format_percent
from projects.models import Defi, DefiPosition
from projects.sections import MAX_POSITIONS, Section

PITCH_DECK_MAX_BYTES = 10 * 1024 * 1024
PITCH_DECK_MAX_PAGES = 12


_helper = eig_forms.fields_only_helper


class DefiSectionForm(eig_forms.ModelForm):
    """Base of every section's form. Drafts may leave fields blank; length limits and
    formats are checked at every save."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Textarea):
                eig_forms.textarea_show_limit(field, Defi._meta.get_field(name), long_from=500)
            if name.endswith("_email"):
                field.widget.attrs.setdefault("autocomplete", "email")
                field.error_messages["invalid"] = _(
                    "Saisissez une adresse e-mail valide, par exemple prenom.nom@ministere.gouv.fr."
                )
            if name.endswith("_phone"):
                field.widget.attrs.setdefault("autocomplete", "tel")


def defi_section_form_class(section: Section) -> type[DefiSectionForm]:
    return modelform_factory(Defi, form=DefiSectionForm, fields=list(section.fields))


class DefiStartForm(eig_forms.Form):
    title = forms.CharField(
        label=_("Nom du défi"),
        max_length=120,
        help_text=_("Vous pourrez le modifier jusqu'au dépôt."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class DefiPositionForm(eig_forms.ModelForm):
    """One EIG position, with the hypotheses of the financial simulation when the promotion's
    rules are published (`rules`, from eig.programme.selectors.rules_for_promotion): the
    experience sought among the promotion's salary bands, and the work time where the
    contract frame allows 4/5. The choices come from `rules`, so validating runs no query."""

    class Meta:
        model = DefiPosition
        fields = ["specialty", "missions", "skills"]
        widgets = {
            "missions": forms.Textarea(attrs={"rows": 5, "maxlength": 1000}),
            "skills": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        }

    def __init__(self, *args, rules: Rules | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.helper = _helper()
        self.fields["specialty"].required = False
        self.fields["specialty"].choices = [("", _("— Pas de profil —")), *Specialty.choices]
        self.fields["missions"].max_length = 1000
        self.fields["skills"].max_length = 500
        if rules is None:
            return
        # Plain fields, not model ones: the band is checked against the promotion's grid
        # already read, and the view hands the pk to the service.
        self.fields["salary_band"] = forms.TypedChoiceField(
            label=_("Expérience visée"),
            help_text=_(
                "Pour la simulation financière ; sans réponse, elle retient la tranche la mieux "
                "rémunérée."
            ),
            choices=[("", UNKNOWN_BAND), *((b.pk, band_choice_label(b)) for b in rules.bands)],
            coerce=int,
            empty_value=None,
            required=False,
            error_messages={
                "invalid_choice": f"Cette tranche n'est pas dans la grille salariale de "
                f"« {rules.promotion} » : choisissez-en une de la liste."
            },
        )
        if rules.allows_part_time:
            self.fields["work_time"] = forms.TypedChoiceField(
                label=_("Quotité de travail"),
                choices=WorkTime.choices,
                coerce=int,
                empty_value=WorkTime.FULL,
                initial=WorkTime.FULL,
                required=False,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _("Choisissez un temps plein ou un temps partiel à 4/5.")
                },
            )

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
        posted_work_time = self.data.get(self.add_prefix("work_time"))
        if (
            self.rules is not None
            and not self.rules.allows_part_time
            and posted_work_time not in (None, "", str(WorkTime.FULL))
        ):
            # The field is not shown: only a forged request gets here.
            self.add_error(
                None,
                forms.ValidationError(
                    f"« {self.rules.promotion} » recrute ses EIG à temps plein : le temps "
                    "partiel n'est pas possible.",
                    code="full_time",
                ),
            )
        return cleaned

    def is_filled(self) -> bool:
        return bool(self.cleaned_data.get("specialty"))

    def position(self) -> dict:
        position = {k: self.cleaned_data[k] for k in ("specialty", "missions", "skills")}
        if self.rules is not None:
            position["salary_band"] = self.cleaned_data.get("salary_band")
            position["work_time"] = self.cleaned_data.get("work_time") or WorkTime.FULL
        return position


UNKNOWN_BAND = _("Je ne sais pas encore (hypothèse haute)")


def band_choice_label(band: Band) -> str:
    """« Jusqu'à 5 ans d'expérience inclus — 3 500 € nets/mois »."""
    net = format_euros(band.net_monthly, cents=band.net_monthly % 1 != 0)
    label = f"{band.label} — {net} nets/mois"
    if band.variable_rate:
        label += f" + {format_percent(band.variable_rate)} de part variable"
    return label


class BaseDefiPositionFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": f"Un défi accueille au plus {MAX_POSITIONS} EIG : retirez les "
        "profils en trop.",
    }

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
        return [f.position() for f in self.forms if f.is_filled()]

    def simulated_positions(self) -> tuple[list[tuple], list[str]]:
        """The positions as the simulation reads them, `(band pk or None, work time,
        specialty)`, from a formset that need not be valid: the agent is still typing. What
        cannot be read is left out or taken at the high hypothesis, and said in French."""
        if not self.management_form.is_valid():
            return [], ["Les profils envoyés sont illisibles : rechargez la page."]
        self.is_valid()  # runs the validation; each form keeps the fields that passed
        positions, problems = [], []
        # The forms stop at `absolute_max`: what was posted says whether some were left out.
        if self.management_form.cleaned_data["TOTAL_FORMS"] > MAX_POSITIONS:
            problems.append(
                f"Un défi accueille au plus {MAX_POSITIONS} EIG : seuls les premiers comptent."
            )
        for number, form in enumerate(self.forms[:MAX_POSITIONS], start=1):
            cleaned = getattr(form, "cleaned_data", {})
            if not cleaned.get("specialty"):
                continue
            if form.has_error("salary_band"):
                problems.append(
                    f"EIG {number} : tranche d'expérience inconnue, la simulation retient "
                    "l'hypothèse haute."
                )
            if form.has_error("work_time") or form.has_error(NON_FIELD_ERRORS, "full_time"):
                problems.append(
                    f"EIG {number} : quotité de travail non reconnue, la simulation retient le "
                    "temps plein."
                )
            work_time = cleaned.get("work_time") or WorkTime.FULL
            positions.append((cleaned.get("salary_band"), work_time, cleaned["specialty"]))
        return positions, problems


DefiPositionFormSet = forms.formset_factory(
    DefiPositionForm,
    formset=BaseDefiPositionFormSet,
    extra=0,
    min_num=MAX_POSITIONS,
    max_num=MAX_POSITIONS,
    validate_max=True,
    # Django builds up to max_num + 1000 forms from a forged TOTAL_FORMS (1,003 forms took
    # 16 s); no more than a défi can hold are ever built.
    absolute_max=MAX_POSITIONS,
)


class PitchDeckForm(eig_forms.Form):
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


class DefiInviteForm(eig_forms.Form):
    email = forms.EmailField(
        label=_("Adresse e-mail professionnelle de votre collègue"),
        # The column's length (RFC 5321's limit): longer, the insert would fail.
        max_length=254,
        error_messages={
            "invalid": _(
                "Saisissez une adresse e-mail valide, par exemple prenom.nom@ministere.gouv.fr."
            ),
            "max_length": _(
                "Une adresse e-mail compte 254 caractères au plus (celle-ci en a %(show_value)d)."
            ),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
