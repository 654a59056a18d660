"""Forms of the jury engine, for every domain: they are built from a jury's criteria and know
nothing of the dossier being scored."""

from dataclasses import dataclass

from django import forms
from django.core.validators import MaxValueValidator
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eig import forms as eig_forms
from eig.jury import decisions, hearings, shortlist
from eig.jury.models import (
    AbstractReview,
    Criterion,
    HearingSlot,
    Jury,
    JuryGroup,
    JuryMember,
)
from eig.jury.selectors import jury_members_active

# The limits of AbstractScore.comment and AbstractEvaluation.overall_comment: the services
# save with update_fields, which skips model validators, so the form is where they hold.
COMMENT_MAX = 2000
OVERALL_COMMENT_MAX = 3000


_helper = eig_forms.fields_only_helper


# The hidden version is only wrong if the page was tampered with or truncated.
_VERSION_LOST = "Le formulaire est incomplet : copiez vos saisies, puis rechargez la page."


def _too_long(limit: int) -> str:
    return f"{limit} caractères au plus (vous en avez saisi %(show_value)d)."


@dataclass(frozen=True)
class CriterionRow:
    """What the page shows for one criterion: the radio group, the comment, and what is
    saved (set when the page must show the saved version next to the juror's input)."""

    criterion: Criterion
    score: forms.BoundField
    comment: forms.BoundField
    saved: object = None


class EvaluationForm(eig_forms.Form):
    """A juror's scores: one radio group and one comment per criterion, an overall comment,
    and the version of the evaluation the form was read at.

    Only the shape of each answer is checked here. Whether every criterion is scored
    depends on the button (a draft may leave some out), so `evaluation_save` checks it.
    """

    overall_comment = forms.CharField(
        label="Appréciation générale",
        required=False,
        max_length=OVERALL_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": OVERALL_COMMENT_MAX}),
        help_text=f"Facultative. {OVERALL_COMMENT_MAX} caractères au plus.",
        error_messages={"max_length": _too_long(OVERALL_COMMENT_MAX)},
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        error_messages=dict.fromkeys(("required", "invalid", "min_value"), _VERSION_LOST),
    )

    def __init__(self, *args, criteria, disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[self.score_name(criterion)] = self._score_field(criterion)
            self.fields[self.comment_name(criterion)] = forms.CharField(
                label=f"Commentaire sur « {criterion.name} »",
                required=False,
                max_length=COMMENT_MAX,
                widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
                help_text=f"Facultatif. {COMMENT_MAX} caractères au plus.",
                error_messages={"max_length": _too_long(COMMENT_MAX)},
            )
        # Comments go after the criteria on the page, as the juror reads the grid.
        self.order_fields(
            [name for name in self.fields if name not in ("overall_comment", "version")]
        )
        if disabled:
            for field in self.fields.values():
                field.disabled = True

    @staticmethod
    def score_name(criterion: Criterion) -> str:
        return f"score_{criterion.pk}"

    @staticmethod
    def comment_name(criterion: Criterion) -> str:
        return f"comment_{criterion.pk}"

    @staticmethod
    def _score_field(criterion: Criterion) -> forms.TypedChoiceField:
        bounds = f"entre {criterion.scale_min} et {criterion.scale_max}"
        choices = [
            (str(value), f"{value} – {label}" if label else str(value))
            for value, label in criterion.scale
        ]
        # help_text is rendered as HTML by the field templates (inside the legend): the
        # description is the staff's plain text, escaped here.
        description = linebreaksbr(criterion.description, autoescape=True)
        return forms.TypedChoiceField(
            label=criterion.name,
            help_text=description,
            choices=choices,
            coerce=int,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            error_messages={
                "invalid_choice": f"Choisissez une note {bounds} pour « {criterion.name} ».",
            },
        )

    @classmethod
    def initial_from(cls, evaluation, criteria) -> dict:
        """The form's initial values from what is saved (the scores prefetched)."""
        initial = {"version": evaluation.version, "overall_comment": evaluation.overall_comment}
        scores = {score.criterion_id: score for score in evaluation.scores.all()}
        for criterion in criteria:
            score = scores.get(criterion.pk)
            if score is not None:
                initial[cls.score_name(criterion)] = score.value
                initial[cls.comment_name(criterion)] = score.comment
        return initial

    def scores(self) -> dict[int, tuple[int | None, str]]:
        """The cleaned scores as `evaluation_save` takes them: criterion pk -> (value, comment)."""
        return {
            criterion.pk: (
                self.cleaned_data[self.score_name(criterion)],
                self.cleaned_data[self.comment_name(criterion)],
            )
            for criterion in self.criteria
        }

    def rows(self, saved: dict | None = None) -> list[CriterionRow]:
        """One row per criterion, in the grid's order. `saved` maps criterion pk to the saved
        score, when the page shows it next to the input."""
        saved = saved or {}
        return [
            CriterionRow(
                criterion=criterion,
                score=self[self.score_name(criterion)],
                comment=self[self.comment_name(criterion)],
                saved=saved.get(criterion.pk),
            )
            for criterion in self.criteria
        ]


class ConflictDeclareForm(eig_forms.Form):
    reason = forms.CharField(
        label="Motif",
        required=False,
        max_length=300,
        help_text="Facultatif, 300 caractères au plus. Par exemple : « j'ai conseillé cette "
        "équipe l'an dernier ». Seule l'équipe du programme le lit.",
        error_messages={"max_length": _too_long(300)},
        widget=forms.TextInput(attrs={"maxlength": 300}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class EvaluationReopenForm(eig_forms.Form):
    note = forms.CharField(
        label="Motif",
        max_length=300,
        help_text="Envoyé au juré avec l'avis de réouverture. 300 caractères au plus.",
        error_messages={
            "required": "Indiquez au juré pourquoi son évaluation est rouverte.",
            "max_length": "300 caractères au plus (vous en avez saisi %(show_value)d).",
        },
    )


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
    # The dossier's number, not a list: a list of every dossier of the call is 2,000 options.
    dossier = forms.ModelChoiceField(
        label="Numéro du dossier",
        queryset=Jury.objects.none(),
        widget=forms.NumberInput(attrs={"min": 1}),
    )
    member = forms.ModelChoiceField(
        label=_("Juré"),
        queryset=JuryMember.objects.none(),
        error_messages={
            "required": _("Choisissez un juré."),
            "invalid_choice": _("Ce juré n'est pas dans le jury."),
        },
    )

    def __init__(self, *args, domain, jury, members=None, **kwargs):
        """`members`: the jury's active members when the page has them already, so that
        the list of jurors costs no query of its own (validation still asks the database)."""
        super().__init__(*args, **kwargs)
        nouns = domain.nouns
        dossier = self.fields["dossier"]
        dossier.label = f"Numéro {nouns.of}"
        dossier.help_text = f"Il figure dans la colonne « N° » du tableau des {nouns.plural}."
        submitted = "soumise" if nouns.feminine else "soumis"
        dossier.error_messages = {
            **dossier.error_messages,
            "required": f"Indiquez le numéro {nouns.of}.",
            "invalid_choice": f"{nouns.this.capitalize()} n'est pas {submitted} à ce jury.",
        }
        dossier.queryset = (
            domain.dossiers(jury).select_related(None).prefetch_related(None).only("pk")
        )
        self.fields["member"].queryset = jury_members_active(jury).select_related("user")
        if members is not None:
            model_choices_set(self.fields["member"], members)
        self.helper = _helper()


Decision = AbstractReview.Decision
Opinion = AbstractReview.Opinion


# --- Deliberation (staff) -------------------------------------------------------------------


class ShortlistForm(eig_forms.Form):
    questions = forms.CharField(
        label="Questions de la présélection",
        help_text="Transmises avec la convocation à l'audition.",
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


def _paris_datetime_field(
    label: str, example: str, what: str, *, required: bool = True, help_text: str = ""
) -> forms.DateTimeField:
    # Typed in Paris time (the current time zone), from the browser's picker or by hand.
    return forms.DateTimeField(
        label=f"{label} (heure de Paris)",
        widget=_LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        required=required,
        help_text=help_text,
        error_messages={
            "required": f"Indiquez {what}.",
            "invalid": f"Indiquez une date et une heure valides, par exemple {example}.",
        },
    )


_CAPACITY_HELP = (
    f"Nombre de dossiers que ce créneau accueille, de 1 à {HearingSlot.CAPACITY_MAX}. "
    "L'équipe les y place, ou les porteurs le réservent jusqu'à ce qu'il soit complet."
)


class HearingSlotForm(eig_forms.Form):
    """A new hearing slot. The form checks what was typed; `hearings.hearing_slot_create`
    enforces the rules again (capacity, deadline, clashes) for every other caller."""

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
        help_text="Adresse et salle, si l'audition a lieu sur place. 300 caractères au plus.",
        required=False,
        max_length=300,
        error_messages={"max_length": _too_long(300)},
    )
    video_url = forms.URLField(
        label="Lien de visioconférence",
        help_text="Si l'audition a lieu à distance, par exemple https://webinaire.numerique.gouv.fr/…",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={
            "invalid": "Indiquez une adresse web complète (https://…).",
            "max_length": _too_long(500),
        },
    )
    capacity = forms.IntegerField(
        label="Capacité",
        help_text=_CAPACITY_HELP,
        initial=1,
        min_value=1,
        max_value=HearingSlot.CAPACITY_MAX,
        error_messages=dict.fromkeys(
            ("required", "invalid", "min_value", "max_value"),
            f"La capacité est un nombre entier de 1 à {HearingSlot.CAPACITY_MAX}.",
        ),
    )
    booking = forms.ChoiceField(
        label="Attribution",
        choices=HearingSlot.Booking.choices,
        initial=HearingSlot.Booking.STAFF,
        widget=forms.RadioSelect,
        error_messages=dict.fromkeys(
            ("required", "invalid_choice"), "Choisissez qui attribue ce créneau."
        ),
    )
    booking_deadline = _paris_datetime_field(
        "Réservation possible jusqu'au",
        "20/03/2026 18:00",
        "la date limite de réservation",
        required=False,
        help_text="Facultatif, pour un créneau que les porteurs réservent eux-mêmes, au plus "
        "tard à son début. Passé ce moment, ils ne peuvent plus réserver, déplacer ni annuler "
        "leur réservation. Sans date, ils le peuvent jusqu'au début du créneau.",
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
        deadline = data.get("booking_deadline")
        # Refused rather than dropped: staff typed it, and a staff-filled slot has no booking.
        if deadline and data.get("booking") == HearingSlot.Booking.STAFF:
            self.add_error(
                "booking_deadline",
                forms.ValidationError(
                    "Seul un créneau réservé par les porteurs a une date limite de "
                    "réservation : videz ce champ, ou choisissez « "
                    f"{HearingSlot.Booking.OWNER.label} ».",
                    code="deadline_staff",
                ),
            )
        elif deadline and starts_at and deadline > starts_at:
            self.add_error(
                "booking_deadline",
                forms.ValidationError(
                    "La date limite de réservation doit précéder le début du créneau.",
                    code="deadline_after_start",
                ),
            )
        group = data.get("group")
        if group and starts_at and ends_at and ends_at > starts_at:
            for problem in hearings.hearing_slot_clashes(
                jury=self.jury, group=group, starts_at=starts_at, ends_at=ends_at
            ):
                self.add_error(None, forms.ValidationError(problem, code="clash"))
        return data


def slot_offered(slot, current) -> bool:
    """Whether a dossier's slot list offers `slot`: its own, or one that staff fill and has
    a free place. The owners book the others themselves (`bookings.py`), and
    `hearings.review_assign_slot` would refuse them."""
    return slot.pk == current or (slot.free > 0 and slot.booking == HearingSlot.Booking.STAFF)


class SlotAssignForm(eig_forms.Form):
    """The slot of one shortlisted dossier. Its choices are built once for the page (the
    slots `slot_offered` keeps, from `screens.hearing_slot_rows`), so that a page of many
    dossiers runs no query per dossier."""

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
            (slot.pk, slot_label(slot)) for slot in slots if slot_offered(slot, current)
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
        min_value=1,
        error_messages={
            "invalid": "Le rang est un nombre entier.",
            "min_value": "Le rang commence à 1.",
        },
    )
    favourite = forms.BooleanField(label="Coup de cœur", required=False)
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

    def __init__(self, *args, group_size: int, nouns, **kwargs):
        super().__init__(*args, **kwargs)
        rank = self.fields["hearing_rank"]
        # Worded for the domain's dossiers (« la candidature », « le dossier »).
        those = "celles" if nouns.feminine else "ceux"
        rank.help_text = f"1 pour {nouns.the} que le groupe préfère ; chaque rang une fois."
        rank.error_messages = {
            **rank.error_messages,
            "required": f"Classez {nouns.the} parmi {those} du groupe.",
            "max_value": f"Le groupe auditionne %(limit_value)s {nouns.plural} : le rang va "
            "de 1 à %(limit_value)s.",
        }
        self.fields[
            "favourite"
        ].help_text = (
            f"Le groupe tient absolument à ce que {nouns.this} fasse partie de la promotion."
        )
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
        help_text="Envoyée avec la décision ; obligatoire pour la liste d'attente et un refus.",
        required=False,
        max_length=decisions.MOTIVATION_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _too_long(decisions.MOTIVATION_MAX)},
    )

    def __init__(self, *args, allowed=None, domain=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = domain.decision_choices() if domain is not None else Decision.choices
        self.labels = dict(choices)
        self.fields["decision"].choices = [("", "— Choisir —")] + [
            (value, label) for value, label in choices if allowed is None or value in allowed
        ]
        # The domain's reasons, grouped by decision: the service checks the pair.
        self.reasons = {
            decision: dict(reasons)
            for decision, reasons in (domain.decision_reasons if domain else {}).items()
            if allowed is None or decision in allowed
        }
        if self.reasons:
            self.fields["reason"] = forms.ChoiceField(
                label="Motif",
                help_text="Pour la liste d'attente et un refus, envoyé avec la décision.",
                required=False,
                choices=[("", "— Choisir —")]
                + [
                    (self.labels[decision], list(reasons.items()))
                    for decision, reasons in self.reasons.items()
                ],
                error_messages={"invalid_choice": "Choisissez un motif de la liste."},
            )
            self.order_fields(["decision", "reason", "motivation"])
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if not decision and not self.has_error("decision"):
            self.add_error(
                "decision", forms.ValidationError("Choisissez une décision.", code="required")
            )
        label = self.labels.get(decision, decision)
        if decision and decision != Decision.SELECTED and not data.get("motivation", "").strip():
            self.add_error(
                "motivation",
                forms.ValidationError(
                    f"Motivez la décision « {label} » : la motivation est "
                    "transmise avec la décision.",
                    code="required",
                ),
            )
        reasons = self.reasons.get(decision)
        if reasons and not self.has_error("reason") and data.get("reason") not in reasons:
            self.add_error(
                "reason",
                forms.ValidationError(
                    f"Choisissez le motif de la décision « {label} » dans sa liste.",
                    code="reason",
                ),
            )
        if not reasons:
            data["reason"] = ""
        return data


class DecisionLetterForm(eig_forms.Form):
    """The mail of one decision, as staff rewrite it; the markers are the service's to
    check (`decisions.decision_letter_save`)."""

    subject = forms.CharField(
        label="Objet",
        max_length=decisions.LETTER_SUBJECT_MAX,
        error_messages={
            "required": "Écrivez l'objet du courrier.",
            "max_length": _too_long(decisions.LETTER_SUBJECT_MAX),
        },
    )
    body = forms.CharField(
        label="Texte",
        max_length=decisions.LETTER_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 12}),
        error_messages={
            "required": "Écrivez le texte du courrier.",
            "max_length": _too_long(decisions.LETTER_BODY_MAX),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
