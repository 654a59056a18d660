"""Forms of the jury engine, for every domain: they are built from a jury's criteria and know
nothing of the dossier being scored."""

from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from django import forms
from django.template.defaultfilters import linebreaksbr

from eig import forms as eig_forms
from eig.jury.models import Criterion

# The limits of AbstractScore.comment and AbstractEvaluation.overall_comment: the services
# save with update_fields, which skips model validators, so the form is where they hold.
COMMENT_MAX = 2000
OVERALL_COMMENT_MAX = 3000


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the page owns the <form>, its hidden fields and its buttons
    return helper


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
