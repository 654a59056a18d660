"""The juror's score form, built from any jury's criteria, for every domain's evaluations."""

import pytest

from eig.jury.forms import ConflictDeclareForm, EvaluationForm
from eig.jury.models import Criterion


def _criteria():
    """Two unsaved criteria with primary keys: the form needs no database."""
    return [
        Criterion(
            pk=7,
            position=1,
            name="Impact",
            description="Pour les usagers.\nEt pour <l'administration>.",
            scale_min=1,
            scale_max=4,
            scale_labels={"1": "pas du tout satisfaisant", "4": "excellent"},
        ),
        Criterion(pk=9, position=2, name="Faisabilité", scale_min=0, scale_max=2),
    ]


def _data(**extra):
    data = {
        "version": "3",
        "score_7": "4",
        "comment_7": "Très utile.",
        "score_9": "",
        "comment_9": "",
        "overall_comment": "Bon dossier.",
    }
    data.update(extra)
    return data


def test_evaluation_form_fields_follow_the_grid():
    form = EvaluationForm(criteria=_criteria())

    assert list(form.fields) == [
        "score_7",
        "comment_7",
        "score_9",
        "comment_9",
        "overall_comment",
        "version",
    ]
    assert form.fields["score_7"].choices == [
        ("1", "1 – pas du tout satisfaisant"),
        ("2", "2"),
        ("3", "3"),
        ("4", "4 – excellent"),
    ]
    assert [value for value, _label in form.fields["score_9"].choices] == ["0", "1", "2"]
    assert form.fields["score_7"].label == "Impact"
    assert form.fields["comment_9"].label == "Commentaire sur « Faisabilité »"


def test_evaluation_form_description_is_escaped():
    help_text = EvaluationForm(criteria=_criteria()).fields["score_7"].help_text

    assert help_text == "Pour les usagers.<br>Et pour &lt;l&#x27;administration&gt;."


def test_evaluation_form_scores_as_the_service_takes_them():
    form = EvaluationForm(_data(), criteria=_criteria())

    assert form.is_valid(), form.errors
    assert form.scores() == {7: (4, "Très utile."), 9: (None, "")}
    assert form.cleaned_data["version"] == 3
    assert form.cleaned_data["overall_comment"] == "Bon dossier."


def test_evaluation_form_draft_may_leave_criteria_unscored():
    form = EvaluationForm(_data(score_7=""), criteria=_criteria())

    assert form.is_valid()
    assert form.scores() == {7: (None, "Très utile."), 9: (None, "")}


@pytest.mark.parametrize("value", ["5", "0", "-1", "deux", "3.5"])
def test_evaluation_form_out_of_range_score_refused_in_french(value):
    form = EvaluationForm(_data(score_7=value), criteria=_criteria())

    assert not form.is_valid()
    assert form.errors["score_7"] == ["Choisissez une note entre 1 et 4 pour « Impact »."]


def test_evaluation_form_too_long_comments_refused_in_french():
    form = EvaluationForm(
        _data(comment_7="x" * 2001, overall_comment="y" * 3001), criteria=_criteria()
    )

    assert not form.is_valid()
    assert form.errors["comment_7"] == ["2000 caractères au plus (vous en avez saisi 2001)."]
    assert form.errors["overall_comment"] == ["3000 caractères au plus (vous en avez saisi 3001)."]


@pytest.mark.parametrize("version", [None, "", "abc", "-1"])
def test_evaluation_form_needs_its_version(version):
    data = _data(version=version)
    if version is None:
        del data["version"]

    form = EvaluationForm(data, criteria=_criteria())

    assert not form.is_valid()
    assert form.errors["version"] == [
        "Le formulaire est incomplet : copiez vos saisies, puis rechargez la page."
    ]


def test_evaluation_form_disabled_ignores_posted_values():
    form = EvaluationForm(
        _data(score_7="1"),
        initial={"score_7": 4, "version": 3},
        criteria=_criteria(),
        disabled=True,
    )

    assert all(field.disabled for field in form.fields.values())
    assert form.is_valid()
    assert form.cleaned_data["score_7"] == 4


def test_evaluation_form_rows_pair_fields_with_saved_scores():
    criteria = _criteria()
    form = EvaluationForm(criteria=criteria)
    saved = object()

    rows = form.rows({9: saved})

    assert [row.criterion.pk for row in rows] == [7, 9]
    assert [row.score.name for row in rows] == ["score_7", "score_9"]
    assert [row.comment.name for row in rows] == ["comment_7", "comment_9"]
    assert [row.saved for row in rows] == [None, saved]


@pytest.mark.django_db
def test_evaluation_form_initial_from_saved_evaluation(kit):
    jury = kit.jury(criteria=2, jurors=1)
    first, second = jury.criteria.order_by("position")
    evaluation = kit.domain.evaluation_model.objects.create(
        member=jury.members.get(),
        version=5,
        overall_comment="Bien",
        **{kit.domain.dossier_field: kit.dossier(jury)},
    )
    kit.domain.score_model.objects.create(
        evaluation=evaluation, criterion=first, value=2, comment="Moyen"
    )

    initial = EvaluationForm.initial_from(evaluation, [first, second])

    assert initial == {
        "version": 5,
        "overall_comment": "Bien",
        f"score_{first.pk}": 2,
        f"comment_{first.pk}": "Moyen",
    }


def test_conflict_declare_form_reason_is_optional_and_bounded():
    assert ConflictDeclareForm({"reason": ""}).is_valid()
    form = ConflictDeclareForm({"reason": "x" * 301})

    assert not form.is_valid()
    assert form.errors["reason"] == ["300 caractères au plus (vous en avez saisi 301)."]
