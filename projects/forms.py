from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import MaxValueValidator
from django.forms import modelform_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig import forms as eig_forms
from eig.files import validate_pdf
from eig.jury import decisions, hearings, shortlist
from eig.jury.models import AbstractReview, JuryGroup, JuryMember
from eig.jury.selectors import jury_members_active
from eig.programme.costs import Band, Rules
from eig.programme.models import Specialty, WorkTime
from eig.programme.money import format_euros, format_percent
from projects.jury import defi_list_for_jury
from projects.models import Defi, DefiPosition
from projects.sections import MAX_POSITIONS, Section

PITCH_DECK_MAX_BYTES = 10 * 1024 * 1024
PITCH_DECK_MAX_PAGES = 12


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the page's template owns the <form> and its buttons
    return helper


class DefiSectionForm(eig_forms.ModelForm):
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


# --- Selection (staff) ---------------------------------------------------------------------


class AssignmentRunForm(eig_forms.Form):
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


def model_choices_set(field: forms.ModelChoiceField, objects) -> None:
    """List in `field` the choices it would query, from objects already loaded. Validation
    still asks the field's queryset. Set as a plain choice field's choices would be:
    django-filter's model fields wrap what they are given in a query iterator."""
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    choices = empty + [(obj.pk, field.label_from_instance(obj)) for obj in objects]
    forms.ChoiceField.choices.fset(field, choices)


class EvaluationAddForm(eig_forms.Form):
    # The défi's number, not a list: a list of every défi of the call is 2,000 options.
    defi = forms.ModelChoiceField(
        label=_("Numéro du défi"),
        help_text=_("Il figure dans la colonne « N° » du tableau des défis."),
        queryset=Defi.objects.none(),
        widget=forms.NumberInput(attrs={"min": 1}),
        error_messages={
            "required": _("Indiquez le numéro du défi."),
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

    def __init__(self, *args, jury, members=None, **kwargs):
        """`members`: the jury's active members when the page has them already, so that
        the list of jurors costs no query of its own (validation still asks the database)."""
        super().__init__(*args, **kwargs)
        self.fields["defi"].queryset = (
            defi_list_for_jury(jury).select_related(None).prefetch_related(None).only("pk", "title")
        )
        self.fields["member"].queryset = jury_members_active(jury).select_related("user")
        if members is not None:
            model_choices_set(self.fields["member"], members)
        self.helper = _helper()


Decision = AbstractReview.Decision
Opinion = AbstractReview.Opinion


# --- Deliberation (staff) -------------------------------------------------------------------


def _too_long(limit: int) -> str:
    return f"{limit} caractères au plus (vous en avez saisi %(show_value)d)."


class ShortlistForm(eig_forms.Form):
    questions = forms.CharField(
        label="Questions de la présélection",
        help_text="Transmises à l'administration avec sa convocation à l'audition.",
        required=False,
        max_length=shortlist.QUESTIONS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _too_long(shortlist.QUESTIONS_MAX)},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class JuryGroupForm(eig_forms.Form):
    name = forms.CharField(
        label="Nom du groupe",
        max_length=120,
        error_messages={"required": "Donnez un nom au groupe."},
    )
    members = forms.ModelMultipleChoiceField(
        label="Membres",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choisissez au moins un juré.",
            "invalid_choice": "Ce juré n'est pas dans le jury.",
            "invalid_pk_value": "Ce juré n'est pas dans le jury.",
        },
    )

    def __init__(self, *args, jury, group: JuryGroup | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.jury, self.group = jury, group
        self.fields["members"].queryset = jury_members_active(jury).select_related("user")
        self.helper = _helper()

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = self.jury.groups.filter(name__iexact=name)
        if self.group is not None:
            others = others.exclude(pk=self.group.pk)
        if others.exists():
            raise forms.ValidationError("Ce jury a déjà un groupe de ce nom.", code="unique")
        return name


class _LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


def _paris_datetime_field(label: str, example: str, what: str) -> forms.DateTimeField:
    # Typed in Paris time (the current time zone), from the browser's picker or by hand.
    return forms.DateTimeField(
        label=f"{label} (heure de Paris)",
        widget=_LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        error_messages={
            "required": f"Indiquez {what}.",
            "invalid": f"Indiquez une date et une heure valides, par exemple {example}.",
        },
    )


class HearingSlotForm(eig_forms.Form):
    group = forms.ModelChoiceField(
        label="Groupe d'audition",
        queryset=None,
        empty_label="— Choisir un groupe —",
        error_messages={
            "required": "Choisissez un groupe.",
            "invalid_choice": "Ce groupe n'appartient pas à ce jury.",
        },
    )
    starts_at = _paris_datetime_field("Début", "24/03/2026 09:30", "le début du créneau")
    ends_at = _paris_datetime_field("Fin", "24/03/2026 10:10", "la fin du créneau")
    location = forms.CharField(
        label="Lieu",
        help_text="Adresse et salle, si l'audition a lieu sur place.",
        required=False,
        max_length=300,
    )
    video_url = forms.URLField(
        label="Lien de visioconférence",
        help_text="Si l'audition a lieu à distance, par exemple https://webinaire.numerique.gouv.fr/…",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Indiquez une adresse web complète (https://…)."},
    )

    def __init__(self, *args, jury, **kwargs):
        super().__init__(*args, **kwargs)
        self.jury = jury
        self.fields["group"].queryset = jury.groups.order_by("name")
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error(
                "ends_at", forms.ValidationError("La fin doit suivre le début.", code="order")
            )
        no_place = not data.get("location", "").strip() and not data.get("video_url", "")
        # A mistyped link already has its own message.
        if no_place and not self.has_error("video_url"):
            self.add_error(
                None,
                forms.ValidationError(
                    "Indiquez un lieu ou un lien de visioconférence.", code="place"
                ),
            )
        group = data.get("group")
        if group and starts_at and ends_at and ends_at > starts_at:
            for problem in hearings.hearing_slot_clashes(
                jury=self.jury, group=group, starts_at=starts_at, ends_at=ends_at
            ):
                self.add_error(None, forms.ValidationError(problem, code="clash"))
        return data


class SlotAssignForm(eig_forms.Form):
    """The slot of one shortlisted défi. Its choices are built once for the page (the free
    slots and the défi's own), so that a page of many défis runs no query per défi."""

    slot = forms.TypedChoiceField(
        label="Créneau",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Ce créneau n'existe plus ou est déjà donné."},
    )

    def __init__(self, *args, slots, current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [("", "— Pas de créneau —")] + [
            (slot.pk, slot_label(slot))
            for slot in slots
            if slot.defi_id is None or slot.pk == current
        ]
        self.helper = _helper()


def slot_label(slot) -> str:
    starts = timezone.localtime(slot.starts_at)
    ends = timezone.localtime(slot.ends_at)
    return f"{starts:%d/%m/%Y %H:%M}–{ends:%H:%M} · {slot.group.name}"


class HearingRecordForm(eig_forms.Form):
    opinion = forms.ChoiceField(
        label="Avis du groupe",
        choices=Opinion.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez un avis favorable ou défavorable.",
            "invalid_choice": "Choisissez un avis favorable ou défavorable.",
        },
    )
    hearing_rank = forms.IntegerField(
        label="Rang dans le groupe",
        help_text="1 pour le défi que le groupe préfère ; chaque rang une fois.",
        min_value=1,
        error_messages={
            "required": "Classez le défi parmi ceux du groupe.",
            "invalid": "Le rang est un nombre entier.",
            "min_value": "Le rang commence à 1.",
            "max_value": "Le groupe auditionne %(limit_value)s défis : le rang va de 1 à "
            "%(limit_value)s.",
        },
    )
    favourite = forms.BooleanField(
        label="Coup de cœur",
        help_text="Le groupe tient absolument à ce que ce défi fasse partie de la promotion.",
        required=False,
    )
    justification = forms.CharField(
        label="Justification",
        help_text=f"Brève : {hearings.JUSTIFICATION_MAX} caractères au plus.",
        max_length=hearings.JUSTIFICATION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Justifiez brièvement l'avis du groupe.",
            "max_length": _too_long(hearings.JUSTIFICATION_MAX),
        },
    )

    def __init__(self, *args, group_size: int, **kwargs):
        super().__init__(*args, **kwargs)
        rank = self.fields["hearing_rank"]
        rank.max_value = group_size
        rank.validators.append(MaxValueValidator(group_size))
        rank.widget.attrs["max"] = group_size
        self.helper = _helper()


class DecisionForm(eig_forms.Form):
    # Checked in clean(): a required field would add the "fields marked *" note to every row.
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("", "— Choisir —"), *Decision.choices],
        required=False,
        error_messages={"invalid_choice": "Choisissez une décision."},
    )
    motivation = forms.CharField(
        label="Motivation",
        help_text="Envoyée à l'administration ; obligatoire pour la liste d'attente et un refus.",
        required=False,
        max_length=decisions.MOTIVATION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _too_long(decisions.MOTIVATION_MAX)},
    )

    def __init__(self, *args, allowed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["decision"].choices = [("", "— Choisir —")] + [
                (value, label) for value, label in Decision.choices if value in allowed
            ]
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if not decision and not self.has_error("decision"):
            self.add_error(
                "decision", forms.ValidationError("Choisissez une décision.", code="required")
            )
        if decision and decision != Decision.SELECTED and not data.get("motivation", "").strip():
            self.add_error(
                "motivation",
                forms.ValidationError(
                    f"Motivez la décision « {Decision(decision).label} » : l'administration la "
                    "reçoit.",
                    code="required",
                ),
            )
        return data
