"""A jury's stages (a written dossier, then an interview…), on every domain (`kit`: défis,
then the test-only anonymous entries): each stage has its own grid, evaluations and
reviews; a later stage examines the dossiers shortlisted at the one before; the decision is
taken on the last stage's review. Existing juries get one stage holding their grid."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from eig.exceptions import DeadlinePassed, DomainError, InvalidTransition
from eig.jury import bookings, decisions, hearings, services
from eig.jury import shortlist as preselection
from eig.jury.models import Criterion, DossierAggregate, HearingSlot, JuryStage
from eig.jury.presets import jury_apply_preset, presets
from eig.jury.selectors import jury_member_loads, jury_progress, jury_ranking
from eig.jury.stages import (
    jury_first_stage,
    jury_last_stage,
    jury_stage_add,
    jury_stage_current,
    jury_stages,
    stage_dossiers,
)
from tests.factories import CriterionFactory, JuryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def _two_stage_jury(kit):
    """A closed jury of three jurors (two per dossier) on three dossiers, its written stage
    with the usual three criteria, then an interview with two criteria of its own."""
    jury = kit.jury(closed=True, jurors=3, k=2)
    dossiers = [kit.dossier(jury, name=name) for name in ("Alpha", "Bravo", "Charlie")]
    interview = jury_stage_add(jury=jury, name="Entretien", kind=JuryStage.Kind.INTERVIEW)
    for position in (1, 2):
        CriterionFactory(jury=jury, stage=interview, position=position, scale_max=5)
    return jury, dossiers, jury_first_stage(jury), interview


def _scores(stage, value=3):
    return {criterion.pk: (value, "") for criterion in stage.criteria.all()}


def _save(kit, evaluation, scores, *, submit=True, now=None):
    return services.evaluation_save(
        domain=kit.domain,
        evaluation=evaluation,
        actor=evaluation.member.user,
        version=evaluation.version,
        scores=scores,
        overall_comment="",
        submit=submit,
        now=now,
    )


def _shortlist(kit, jury, dossier, staff, stage=None):
    return preselection.review_shortlist(
        domain=kit.domain, jury=jury, dossier=dossier, actor=staff, stage=stage
    )


def test_every_jury_has_a_first_stage_holding_its_grid(kit):
    jury = kit.jury(criteria=3)

    stages = jury_stages(jury)

    assert [(stage.position, stage.kind) for stage in stages] == [(1, "written")]
    assert jury_first_stage(jury) == jury_last_stage(jury) == stages[0]
    assert set(jury.criteria.values_list("stage", flat=True)) == {stages[0].pk}


def test_a_later_stage_has_its_own_grid(kit):
    jury, _dossiers, written, interview = _two_stage_jury(kit)

    assert [stage.pk for stage in jury_stages(jury)] == [written.pk, interview.pk]
    assert (interview.position, interview.get_kind_display()) == (2, "Entretien")
    assert written.criteria.count() == 3
    assert list(interview.criteria.values_list("position", flat=True)) == [1, 2]
    assert jury_last_stage(jury) == interview


def test_stage_of_another_jury_is_refused(kit, staff):
    jury, *_ = _two_stage_jury(kit)
    other = kit.jury(closed=True)

    with pytest.raises(DomainError):
        services.jury_assign(
            domain=kit.domain, jury=other, actor=staff, stage=jury_last_stage(jury)
        )


def test_each_stage_has_its_evaluations_and_only_the_dossiers_kept_at_the_one_before(kit, staff):
    jury, (alpha, bravo, charlie), written, interview = _two_stage_jury(kit)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    _shortlist(kit, jury, alpha, staff)

    assert list(stage_dossiers(kit.domain, written)) == [alpha, bravo, charlie]
    assert list(stage_dossiers(kit.domain, interview)) == [alpha]

    result = services.jury_assign(domain=kit.domain, jury=jury, actor=staff, stage=interview)

    assert result.feasible
    assert kit.domain.evaluations(jury, stage=written).count() == 6
    later = kit.domain.evaluations(jury, stage=interview)
    assert [getattr(e, kit.domain.dossier_id_field) for e in later] == [alpha.pk, alpha.pk]
    # Two jurors per stage: a juror may evaluate the same dossier once at each.
    assert kit.evaluations_of(alpha).count() == 4


def test_a_dossier_not_shortlisted_at_stage_one_is_not_in_stage_two(kit, staff):
    jury, (alpha, bravo, _charlie), _written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    member = jury.members.first()

    with pytest.raises(DomainError, match="retenu à l'étape précédant « Entretien »"):
        services.evaluation_assign(
            domain=kit.domain, member=member, dossier=bravo, actor=staff, stage=interview
        )
    with pytest.raises(InvalidTransition, match="retenu à l'étape précédant"):
        _shortlist(kit, jury, bravo, staff, stage=interview)

    evaluation = services.evaluation_assign(
        domain=kit.domain, member=member, dossier=alpha, actor=staff, stage=interview
    )
    assert evaluation.stage == interview


def test_scores_are_validated_against_the_evaluation_stage_grid(kit, staff):
    jury, (alpha, *_), written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    member = jury.members.first()
    first = services.evaluation_assign(domain=kit.domain, member=member, dossier=alpha, actor=staff)
    second = services.evaluation_assign(
        domain=kit.domain, member=member, dossier=alpha, actor=staff, stage=interview
    )

    with pytest.raises(DomainError, match="grille de l'étape « Entretien »"):
        _save(kit, second, _scores(written))
    # 5 is on the interview's scale (1 to 5), not on the written grid's (1 to 4).
    with pytest.raises(DomainError, match="comprise entre 1 et 4"):
        _save(kit, first, _scores(written, value=5))

    _save(kit, second, _scores(interview, value=5))
    _save(kit, first, _scores(written, value=4))

    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.state, second.state) == ("submitted", "submitted")
    assert sorted(second.scores.values_list("criterion__stage", "value")) == [
        (interview.pk, 5),
        (interview.pk, 5),
    ]
    assert set(first.scores.values_list("criterion__stage", flat=True)) == {written.pk}


def test_reviews_are_per_stage_and_the_decision_is_taken_on_the_last(kit, staff):
    jury, (alpha, *_), written, interview = _two_stage_jury(kit)

    _shortlist(kit, jury, alpha, staff)
    later = _shortlist(kit, jury, alpha, staff, stage=interview)
    decided = decisions.review_decide(
        domain=kit.domain,
        jury=jury,
        dossier=alpha,
        decision="selected",
        motivation="",
        actor=staff,
    )

    reviews = kit.domain.review_model.objects.filter(**{kit.domain.dossier_field: alpha}).order_by(
        "stage__position"
    )
    assert [(review.stage_id, review.is_shortlisted) for review in reviews] == [
        (written.pk, True),
        (interview.pk, True),
    ]
    assert decided.pk == later.pk and decided.stage == interview
    assert [review.decision for review in reviews] == ["", "selected"]
    # The dossier moved once to "shortlisted" (at the first stage), then to its decision.
    assert kit.transitions(alpha)[-2:] == [
        ("submitted", "shortlisted"),
        ("shortlisted", "selected"),
    ]


def test_a_dossier_examined_at_the_next_stage_stays_shortlisted_at_this_one(kit, staff):
    jury, (alpha, bravo, _c), _written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    _shortlist(kit, jury, bravo, staff)
    services.evaluation_assign(
        domain=kit.domain,
        member=jury.members.first(),
        dossier=alpha,
        actor=staff,
        stage=interview,
    )

    with pytest.raises(InvalidTransition, match="étape suivante"):
        preselection.review_unshortlist(domain=kit.domain, jury=jury, dossier=alpha, actor=staff)
    preselection.review_unshortlist(domain=kit.domain, jury=jury, dossier=bravo, actor=staff)

    assert kit.state(alpha) == "shortlisted"
    assert kit.state(bravo) == "submitted"
    assert list(stage_dossiers(kit.domain, interview)) == [alpha]


def test_unshortlisting_at_a_later_stage_leaves_the_dossier_state(kit, staff):
    jury, (alpha, *_), _written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    _shortlist(kit, jury, alpha, staff, stage=interview)

    review = preselection.review_unshortlist(
        domain=kit.domain, jury=jury, dossier=alpha, actor=staff, stage=interview
    )

    assert review.stage == interview and not review.is_shortlisted
    assert kit.state(alpha) == "shortlisted"


def test_a_stage_deadline_overrides_the_jury_deadline(kit, staff):
    jury, (alpha, *_), written, interview = _two_stage_jury(kit)
    now = timezone.now()
    jury.scoring_deadline = now + datetime.timedelta(days=10)
    jury.save(update_fields=["scoring_deadline"])
    written.scoring_deadline = now - datetime.timedelta(hours=1)
    written.save(update_fields=["scoring_deadline"])
    _shortlist(kit, jury, alpha, staff)
    member = jury.members.first()
    first = services.evaluation_assign(domain=kit.domain, member=member, dossier=alpha, actor=staff)
    second = services.evaluation_assign(
        domain=kit.domain, member=member, dossier=alpha, actor=staff, stage=interview
    )

    with pytest.raises(DeadlinePassed):
        _save(kit, first, _scores(written), now=now)
    _save(kit, second, _scores(interview), now=now)
    assert jury_stage_current(jury, now=now) == interview
    assert jury_stage_current(jury, now=now - datetime.timedelta(days=1)) == written


def _interview_open_after_written(kit, staff):
    """A two-stage jury whose own deadline passed an hour ago while its interview stage
    closes in three days; its first dossier kept for the interview, and one of its jurors
    given it at the written stage. Returns (jury, dossier, written, interview, member, the
    written evaluation, now)."""
    jury, (alpha, *_), written, interview = _two_stage_jury(kit)
    now = timezone.now()
    jury.scoring_deadline = now - datetime.timedelta(hours=1)
    jury.save(update_fields=["scoring_deadline"])
    interview.scoring_deadline = now + datetime.timedelta(days=3)
    interview.save(update_fields=["scoring_deadline"])
    _shortlist(kit, jury, alpha, staff)
    member = jury.members.first()
    first = services.evaluation_assign(domain=kit.domain, member=member, dossier=alpha, actor=staff)
    return jury, alpha, written, interview, member, first, now


def test_the_jurors_page_shows_and_applies_the_deadline_of_its_stage(kit, staff, client):
    from django.utils import formats

    jury, alpha, written, interview, member, first, now = _interview_open_after_written(kit, staff)
    second = services.evaluation_assign(
        domain=kit.domain, member=member, dossier=alpha, actor=staff, stage=interview
    )
    client.force_login(member.user)

    def page(evaluation):
        url = reverse("jury:evaluation_detail", args=[kit.domain.key, evaluation.pk])
        response = client.get(url)
        disabled = {field.disabled for field in response.context["form"].fields.values()}
        assert disabled == {evaluation == first}
        return response.content.decode()

    when = formats.date_format(timezone.localtime(interview.scoring_deadline), "j F Y à H\\hi")
    later = page(second)
    assert f"À soumettre avant le <strong>{when}</strong>" in later
    assert "La date limite des évaluations est passée" not in later
    assert "Date limite passée" in page(first)
    response = client.post(
        reverse("jury:evaluation_detail", args=[kit.domain.key, second.pk]),
        {"version": second.version, "overall_comment": "", "action": "draft"},
    )
    assert response.status_code == 302
    saved = [str(message) for message in get_messages(response.wsgi_request)]
    assert f"Soumettez-le avant le {when}" in saved[0]


def test_the_jurors_dashboard_shows_the_deadline_of_each_stage(kit, staff, client):
    from django.utils import formats

    from projects.todos import juror_todos

    jury, alpha, written, interview, member, first, now = _interview_open_after_written(kit, staff)
    client.force_login(member.user)

    text = " ".join(client.get(reverse("jury:dashboard")).content.decode().split())
    assert "La date limite des évaluations (" in text and "est passée" in text
    assert "Entretien :" not in text
    assert juror_todos(member.user, now) == []

    second = services.evaluation_assign(
        domain=kit.domain, member=member, dossier=alpha, actor=staff, stage=interview
    )
    response = client.get(reverse("jury:dashboard"))
    text = " ".join(response.content.decode().split())
    [group] = response.context["groups"]
    assert [item["stage"] for item in group["deadlines"]] == [written, interview]
    assert [item["open"] for item in group["deadlines"]] == [False, True]
    when = formats.date_format(timezone.localtime(interview.scoring_deadline), "j F Y à H\\hi")
    assert f"Entretien : évaluations à soumettre avant le <strong>{when}</strong>" in text
    assert {evaluation.pk: evaluation.scoring_open for evaluation in group["evaluations"]} == {
        first.pk: False,
        second.pk: True,
    }
    # « À faire » counts what can still be scored, by the deadline of its stage.
    [todo] = juror_todos(member.user, now)
    assert (todo.count, todo.deadline) == (1, interview.scoring_deadline)


def test_scoring_reminders_follow_each_stage_deadline(kit, staff):
    jury, (alpha, *_), _written, interview = _two_stage_jury(kit)
    now = timezone.now()
    interview.scoring_deadline = now + datetime.timedelta(days=2)
    interview.save(update_fields=["scoring_deadline"])
    _shortlist(kit, jury, alpha, staff)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff, stage=interview)
    mail.outbox.clear()

    # The jury has no deadline of its own: only the interview's reminds its jurors.
    sent = services.jury_send_scoring_reminders(domain=kit.domain, now=now)

    assert sent == 2
    assert services.jury_send_scoring_reminders(domain=kit.domain, now=now) == 0


def test_selectors_read_one_stage_the_first_by_default(kit, staff, django_assert_num_queries):
    jury, (alpha, bravo, charlie), written, interview = _two_stage_jury(kit)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    _shortlist(kit, jury, alpha, staff)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff, stage=interview)
    for evaluation in kit.domain.evaluations(jury, stage=interview):
        _save(kit, evaluation, _scores(interview, value=5))

    assert jury_progress(kit.domain, jury)["due"] == 6
    assert jury_progress(kit.domain, jury, stage=interview) | {"percent": 0} == {
        "due": 2,
        "submitted": 2,
        "draft": 0,
        "pending": 0,
        "percent": 0,
    }
    assert sum(member.load for member in jury_member_loads(kit.domain, jury)) == 6
    loads = jury_member_loads(kit.domain, jury, stage=interview)
    assert sum(member.submitted for member in loads) == 2

    criteria = list(interview.criteria.order_by("position"))
    # The check of the stored rows' grid, then the rows.
    with django_assert_num_queries(2):
        rows = list(jury_ranking(kit.domain, jury, criteria=criteria, stage=interview))
    assert [(row["pk"], row["done"], row["weighted"]) for row in rows] == [(alpha.pk, 2, 5.0)]
    assert rows[0]["shortlisted_at"] is None  # not yet shortlisted at the interview

    first = list(jury_ranking(kit.domain, jury))
    assert [row["pk"] for row in first] == [alpha.pk, bravo.pk, charlie.pk]
    assert {row["pk"]: row["shortlisted_at"] is not None for row in first} == {
        alpha.pk: True,
        bravo.pk: False,
        charlie.pk: False,
    }
    assert all(row["due"] == 2 and row["done"] == 0 for row in first)
    assert set(first[0]) >= {f"crit_{criterion.pk}" for criterion in written.criteria.all()}


def test_stored_figures_are_kept_per_stage(kit, staff):
    jury, (alpha, bravo, charlie), written, interview = _two_stage_jury(kit)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    _shortlist(kit, jury, alpha, staff)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff, stage=interview)
    for evaluation in kit.domain.evaluations(jury, stage=interview):
        _save(kit, evaluation, _scores(interview, value=5))

    stored = DossierAggregate.objects.filter(jury=jury)
    assert sorted(stored.filter(stage=written).values_list("dossier_id", "done")) == sorted(
        [(alpha.pk, 0), (bravo.pk, 0), (charlie.pk, 0)]
    )
    assert list(stored.filter(stage=interview).values_list("dossier_id", "done", "weighted")) == [
        (alpha.pk, 2, 5.0)
    ]
    for stage in (written, interview):
        criteria = list(stage.criteria.order_by("position"))
        read = list(jury_ranking(kit.domain, jury, criteria=criteria, stage=stage))
        computed = jury_ranking(kit.domain, jury, criteria=criteria, stage=stage, computed=True)
        assert read == list(computed)

    # A rebuild rewrites every stage's rows, each with its own grid.
    services.jury_aggregates_rebuild(domain=kit.domain, jury=jury)
    assert stored.filter(stage=written).count() == 3
    assert stored.filter(stage=interview).get().weighted == 5.0


def _interview_slot(jury, **kwargs):
    """A slot of an « Entretiens » group in two weeks, by video."""
    group = hearings.jury_group_create(jury=jury, name="Entretiens", members=[])
    start = timezone.now() + datetime.timedelta(days=14)
    return hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=30),
        video_url="https://webinaire.numerique.gouv.fr/eig-entretien",
        **kwargs,
    )


def test_owners_book_on_the_review_of_the_stage_that_holds_the_interview(kit, staff):
    jury, (alpha, *_), written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    _shortlist(kit, jury, alpha, staff, stage=interview)
    slot = _interview_slot(jury, capacity=2, booking=HearingSlot.Booking.OWNER)

    booked = bookings.slot_book(
        domain=kit.domain, jury=jury, dossier=alpha, slot=slot, actor=alpha.owner, stage=interview
    )

    reviews = kit.domain.review_model.objects.filter(**{kit.domain.dossier_field: alpha})
    assert booked.stage == interview
    assert dict(reviews.values_list("stage", "slot")) == {written.pk: None, interview.pk: slot.pk}
    # Without a stage, the booking is the current stage's: the written one, still open.
    assert bookings.booking_stage(jury) == jury_stage_current(jury) == written


def test_ranking_page_shows_the_stage_asked(kit, staff, client):
    jury, (alpha, *_), _written, interview = _two_stage_jury(kit)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    _shortlist(kit, jury, alpha, staff)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff, stage=interview)
    for evaluation in kit.domain.evaluations(jury, stage=interview):
        _save(kit, evaluation, _scores(interview, value=5))
    client.force_login(staff)
    url = reverse("jury:selection_ranking", args=[jury.pk])

    first = client.get(url)
    later = client.get(url, {"etape": 2})

    assert first.status_code == later.status_code == 200
    assert "5,00" not in first.content.decode()
    assert "5,00" in later.content.decode()
    assert client.get(url, {"etape": 9}).status_code == 404
    assert client.get(url, {"etape": "x"}).status_code == 404


def test_deliberation_shows_the_last_stage_and_its_decisions(kit, staff, client):
    jury, (alpha, bravo, _charlie), _written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    client.force_login(staff)
    url = reverse("jury:selection_deliberation", args=[jury.pk])
    decided = decisions.review_decide(
        domain=kit.domain,
        jury=jury,
        dossier=alpha,
        decision="not_selected",
        motivation="Entretien peu convaincant.",
        actor=staff,
    )
    assert decided.stage == interview

    last = client.get(url)
    first = client.get(url, {"etape": 1})

    # At the interview, the one dossier kept, with its decision (no form left).
    assert [row["dossier"].pk for row in last.context["rows"]] == [alpha.pk]
    assert [row["review"].decision for row in last.context["rows"]] == ["not_selected"]
    assert dict(last.context["counts"])["Sans décision"] == 0
    # At the written stage, every dossier, each with its decision of the last stage.
    rows = {row["dossier"].pk: row for row in first.context["rows"]}
    assert set(rows) == {dossier.pk for dossier in kit.domain.dossiers(jury)}
    assert rows[alpha.pk]["review"].decision == "not_selected"
    assert not rows[alpha.pk]["allowed"] and rows[bravo.pk]["allowed"]
    assert dict(first.context["counts"])["Sans décision"] == 2
    assert client.get(url, {"etape": 9}).status_code == 404


def test_assignment_page_assigns_a_later_stage_on_its_own(kit, staff, client):
    jury, (alpha, bravo, _charlie), written, interview = _two_stage_jury(kit)
    services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
    _shortlist(kit, jury, alpha, staff)
    client.force_login(staff)
    url = reverse("jury:selection_assignment", args=[jury.pk])

    first = client.get(url)
    response = client.post(f"{url}?etape=2", {"action": "assign"})

    assert response.status_code == 302 and response["Location"] == f"{url}?etape=2"
    later = client.get(url, {"etape": 2})
    # The interview examines the one dossier kept, with its own jurors, on its own grid.
    assert [row["pk"] for row in later.context["rows"]] == [alpha.pk]
    assert later.context["summary"]["total"] == 1
    assert len(first.context["rows"]) == 3 and later.context["stage"] == interview
    evaluations = kit.domain.evaluations(jury, stage=interview)
    assert evaluations.count() == jury.jurors_per_dossier
    assert {getattr(e, kit.domain.dossier_id_field) for e in evaluations} == {alpha.pk}
    assert later.context["progress"]["due"] == jury.jurors_per_dossier
    # The first stage's table is as it was.
    assert kit.domain.evaluations(jury, stage=written).count() == 3 * jury.jurors_per_dossier
    assert "Étape" in first.content.decode() and bravo.pk in [
        row["pk"] for row in first.context["rows"]
    ]
    assert client.get(url, {"etape": 9}).status_code == 404


def test_shortlist_page_invites_at_a_later_stage(kit, staff, client):
    jury, (alpha, bravo, _charlie), written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    client.force_login(staff)
    url = reverse("jury:selection_shortlist", args=[jury.pk])

    later = client.get(url, {"etape": 2})
    assert [row["dossier"].pk for row in later.context["rows"]] == [alpha.pk]
    response = client.post(
        f"{url}?etape=2",
        {"dossier": alpha.pk, "action": "shortlist", f"dossier-{alpha.pk}-questions": "Et ?"},
    )

    assert response.status_code == 302 and response["Location"] == f"{url}?etape=2"
    reviews = kit.domain.review_model.objects.filter(**{kit.domain.dossier_field: alpha})
    assert reviews.get(stage=interview).is_shortlisted
    assert reviews.get(stage=written).is_shortlisted
    # A dossier the later stage does not examine cannot be invited there.
    refused = client.post(f"{url}?etape=2", {"dossier": bravo.pk, "action": "shortlist"})
    assert refused.status_code in (400, 404)
    assert not kit.domain.review_model.objects.filter(
        **{kit.domain.dossier_field: bravo}, stage=interview
    ).exists()


def test_hearings_page_shows_and_gives_slots_at_a_later_stage(kit, staff, client):
    jury, (alpha, *_), written, interview = _two_stage_jury(kit)
    _shortlist(kit, jury, alpha, staff)
    _shortlist(kit, jury, alpha, staff, stage=interview)
    slot = _interview_slot(jury)
    client.force_login(staff)
    url = reverse("jury:selection_hearings", args=[jury.pk])

    response = client.post(
        f"{url}?etape=2",
        {"action": "assign", "dossier": alpha.pk, f"dossier-{alpha.pk}-slot": slot.pk},
    )

    assert response.status_code == 302 and response["Location"] == f"{url}?etape=2"
    reviews = kit.domain.review_model.objects.filter(**{kit.domain.dossier_field: alpha})
    assert dict(reviews.values_list("stage", "slot")) == {written.pk: None, interview.pk: slot.pk}
    later = client.get(url, {"etape": 2})
    assert [row["dossier"].pk for row in later.context["rows"]] == [alpha.pk]
    assert later.context["rows"][0]["review"].slot_id == slot.pk
    first = client.get(url)
    assert first.context["rows"][0]["review"].slot_id is None


def test_a_preset_applies_to_one_stage(kit):
    jury, _dossiers, written, interview = _two_stage_jury(kit)
    key = next(iter(presets()))

    criteria = jury_apply_preset(jury=jury, key=key, stage=interview)

    assert {criterion.stage_id for criterion in criteria} == {interview.pk}
    assert interview.criteria.count() == len(presets()[key]["criteria"])
    assert written.criteria.count() == 3


def test_a_criterion_stage_must_be_of_its_jury(kit):
    jury, *_ = _two_stage_jury(kit)
    other = JuryFactory()
    criterion = Criterion(jury=other, stage=jury_last_stage(jury), position=9, name="Intrus")

    with pytest.raises(Exception, match="autre jury"):
        criterion.full_clean()


def test_the_database_refuses_a_stage_of_another_jury(kit):
    jury, (alpha, *_), *_ = _two_stage_jury(kit)
    other = kit.jury()
    foreign = jury_last_stage(other)
    with connection.cursor() as cursor:
        # The constraints are deferred to the commit, which a test never reaches.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(jury=jury, stage=foreign, position=9, name="Intrus")
    with pytest.raises(IntegrityError), transaction.atomic():
        kit.domain.review_model.objects.create(
            jury=jury, stage=foreign, **{kit.domain.dossier_field: alpha}
        )


# --- Admin ----------------------------------------------------------------------------------


def test_admin_adds_an_interview_stage_to_a_jury(client):
    client.force_login(StaffFactory())
    jury = JuryFactory(name="Jury EIG 9")
    first = jury_first_stage(jury)
    url = reverse("admin:jury_jury_change", args=[jury.pk])

    page = client.get(url).content.decode()
    assert "Examen du dossier écrit" in page and "Entretien" in page

    response = client.post(
        url,
        {
            "name": "Jury EIG 9",
            "jurors_per_dossier": "3",
            "score_visibility": "after_own",
            "scoring_deadline_0": "",
            "scoring_deadline_1": "",
            "spread_threshold": "2",
            "apply_preset": "",
            "stages-TOTAL_FORMS": "2",
            "stages-INITIAL_FORMS": "1",
            "stages-0-id": str(first.pk),
            "stages-0-jury": str(jury.pk),
            "stages-0-position": "1",
            "stages-0-name": first.name,
            "stages-0-kind": "written",
            "stages-0-scoring_deadline_0": "",
            "stages-0-scoring_deadline_1": "",
            "stages-1-jury": str(jury.pk),
            "stages-1-position": "2",
            "stages-1-name": "Entretien devant le jury",
            "stages-1-kind": "interview",
            "stages-1-scoring_deadline_0": "",
            "stages-1-scoring_deadline_1": "",
            "criteria-TOTAL_FORMS": "0",
            "criteria-INITIAL_FORMS": "0",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert [(stage.position, stage.name, stage.kind) for stage in jury_stages(jury)] == [
        (1, "Examen du dossier écrit", "written"),
        (2, "Entretien devant le jury", "interview"),
    ]
    # The grid's stage choices are the jury's stages.
    page = client.get(url).content.decode()
    assert "2. Entretien devant le jury" in page


# --- The migration: existing juries get a first stage -------------------------------------

BEFORE = [
    ("jury", "0006_dossier_aggregates"),
    ("projects", "0009_review_slot_shared"),
    ("jury_testdomain", "0002_entryreview_slot_shared"),
]
AFTER = [
    ("jury", "0008_dossier_aggregates_per_stage"),
    ("projects", "0010_jury_stages"),
    ("jury_testdomain", "0003_jury_stages"),
]


@pytest.mark.django_db(transaction=True)
def test_migration_gives_an_existing_jury_a_first_stage_with_its_grid_and_records():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    jury = old.get_model("jury", "Jury").objects.create(name="Jury d'avant", domain="entries")
    criteria = [
        old.get_model("jury", "Criterion").objects.create(
            jury=jury, position=position, name=f"Critère {position}"
        )
        for position in (1, 2)
    ]
    member = old.get_model("jury", "JuryMember").objects.create(jury=jury)
    call = old.get_model("jury_testdomain", "EntryCall").objects.create(
        title="Appel", closes_at=timezone.now(), jury=jury
    )
    entry = old.get_model("jury_testdomain", "Entry").objects.create(
        call=call, full_name="Camille", email="camille@example.org", specialty="design"
    )
    evaluation = old.get_model("jury_testdomain", "EntryEvaluation").objects.create(
        member=member, entry=entry
    )
    review = old.get_model("jury_testdomain", "EntryReview").objects.create(jury=jury, entry=entry)
    aggregate = old.get_model("jury", "DossierAggregate").objects.create(
        jury=jury, dossier_id=entry.pk
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps

    stages = list(new.get_model("jury", "JuryStage").objects.filter(jury_id=jury.pk))
    assert [(stage.position, stage.name, stage.kind) for stage in stages] == [
        (1, "Examen du dossier écrit", "written")
    ]
    stage = stages[0]
    Criterion_ = new.get_model("jury", "Criterion")
    assert set(
        Criterion_.objects.filter(pk__in=[c.pk for c in criteria]).values_list("stage", flat=True)
    ) == {stage.pk}
    assert (
        new.get_model("jury_testdomain", "EntryEvaluation").objects.get(pk=evaluation.pk).stage_id
        == stage.pk
    )
    assert (
        new.get_model("jury_testdomain", "EntryReview").objects.get(pk=review.pk).stage_id
        == stage.pk
    )
    assert (
        new.get_model("jury", "DossierAggregate").objects.get(pk=aggregate.pk).stage_id == stage.pk
    )

    # Leave the database as the other tests expect it.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
