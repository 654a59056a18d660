"""The juror's pages: dashboard, scoring of a défi, conflicts of interest."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from eig.jury.models import Jury
from eig.jury.services import evaluation_reopen
from projects.jury import DEFI_JURY
from projects.models import DefiConflict, DefiEvaluation, DefiScore
from tests.eig.jury.test_deliberation_views import group_of, shortlisted, slot_for
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    JurorFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

State = DefiEvaluation.State

# user (the session comes from the cache) + the DSFR settings row (read twice by the base
# template), then the page's own reads: memberships (with whether they sit in a hearing
# group) and evaluations (dashboard); membership, the dossiers' count, the page's dossiers,
# declared conflicts and assignments on them (conflicts); the evaluation, its scores, the
# positions, the criteria, the history, declared conflicts, the other evaluations and their
# scores.
QUERIES_DASHBOARD = 5
# A juror in a hearing group: their group's hearings too.
QUERIES_DASHBOARD_HEARINGS = 6
QUERIES_CONFLICTS = 8
QUERIES_EVALUATION = 11


def _text(response):
    # Whitespace collapsed: the templates wrap their sentences.
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.fixture
def setting():
    """A jury of three criteria on a call, one submitted défi, and its first juror's
    evaluation."""
    call = ProjectCallFactory()
    jury = jury_for_call(call, criteria=3, jurors=2)
    defi = submitted_defi(call)
    first, second = jury.members.order_by("pk")
    evaluation = DefiEvaluation.objects.create(member=first, defi=defi)
    return {
        "jury": jury,
        "defi": defi,
        "criteria": list(jury.criteria.order_by("position")),
        "member": first,
        "other_member": second,
        "evaluation": evaluation,
    }


def _person(kind, setting):
    """(user, evaluation whose pages they try) for each person of the permission matrix."""
    jury, defi, evaluation = setting["jury"], setting["defi"], setting["evaluation"]
    if kind == "assigned":
        return setting["member"].user, evaluation
    if kind == "other_juror":  # same jury, this dossier is not theirs
        return setting["other_member"].user, evaluation
    if kind == "declared_conflict":
        member = JuryMemberFactory(jury=jury)
        DefiConflict.objects.create(member=member, defi=defi, reason="Ancien conseiller")
        return member.user, DefiEvaluation.objects.create(member=member, defi=defi)
    if kind == "automatic_conflict":  # same administration as the défi
        member = JuryMemberFactory(jury=jury, user=JurorFactory(administration=defi.administration))
        return member.user, DefiEvaluation.objects.create(member=member, defi=defi)
    if kind == "withdrawn":
        member = JuryMemberFactory(jury=jury, withdrawn_at=timezone.now())
        return member.user, DefiEvaluation.objects.create(member=member, defi=defi)
    if kind == "agent":
        return AgentFactory(), evaluation
    if kind == "candidate":
        return CandidateFactory(), evaluation
    if kind == "staff":
        return StaffFactory(), evaluation
    return None, evaluation


EVALUATION_EXPECTED = {
    "assigned": 200,
    "other_juror": 404,
    "declared_conflict": 404,
    "automatic_conflict": 404,
    "withdrawn": 404,
    "agent": 404,
    "candidate": 404,
    "staff": 404,  # staff follow evaluations on the selection pages
    "anonymous": 302,
}
CONFLICTS_EXPECTED = {
    **EVALUATION_EXPECTED,
    "other_juror": 200,
    "declared_conflict": 200,
    "automatic_conflict": 200,
}


def _login(client, kind, setting):
    user, evaluation = _person(kind, setting)
    if user is not None:
        client.force_login(user)
    return evaluation


def _post_data(setting, *, version=0, action="draft", values=(3, None, None), **extra):
    data = {"version": version, "action": action, "overall_comment": "Dossier solide."}
    for criterion, value in zip(setting["criteria"], values, strict=True):
        data[f"score_{criterion.pk}"] = "" if value is None else str(value)
        data[f"comment_{criterion.pk}"] = f"Mon avis sur {criterion.name}"
    data.update(extra)
    return data


def _url(evaluation, view="evaluation_detail"):
    # The défi's pitch deck is the projects app's; the evaluation pages are the engine's.
    if view == "evaluation_pitch_deck":
        return reverse(f"projects:{view}", args=[evaluation.pk])
    return reverse(f"jury:{view}", args=["defis", evaluation.pk])


def _scores(evaluation):
    return dict(
        DefiScore.objects.filter(evaluation=evaluation).values_list("criterion_id", "value")
    )


def _snapshot(evaluation):
    evaluation.refresh_from_db()
    return (evaluation.state, evaluation.version, evaluation.overall_comment, _scores(evaluation))


# --- Permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", EVALUATION_EXPECTED)
@pytest.mark.parametrize("view", ["evaluation_detail", "evaluation_pitch_deck"])
def test_evaluation_get_permissions(client, setting, kind, view):
    evaluation = _login(client, kind, setting)

    response = client.get(_url(evaluation, view))

    assert response.status_code == EVALUATION_EXPECTED[kind]
    if kind == "anonymous":
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("kind", EVALUATION_EXPECTED)
def test_evaluation_post_permissions(client, setting, kind):
    evaluation = _login(client, kind, setting)
    before = _snapshot(evaluation)

    response = client.post(_url(evaluation), _post_data(setting))

    expected = {**EVALUATION_EXPECTED, "assigned": 302}[kind]
    assert response.status_code == expected
    assert (_snapshot(evaluation) != before) == (kind == "assigned")


@pytest.mark.parametrize("kind", CONFLICTS_EXPECTED)
def test_jury_conflicts_permissions(client, setting, kind):
    _login(client, kind, setting)

    response = client.get(reverse("jury:conflicts", args=[setting["jury"].pk]))

    assert response.status_code == CONFLICTS_EXPECTED[kind]


@pytest.mark.parametrize("kind", CONFLICTS_EXPECTED)
def test_jury_conflict_declare_permissions(client, setting, kind):
    _login(client, kind, setting)
    url = reverse("jury:conflict_declare", args=[setting["jury"].pk, setting["defi"].pk])

    response = client.post(
        url, {f"conflit-{setting['defi'].pk}-reason": "Lien familial", "confirm": "1"}
    )

    members = ("assigned", "other_juror", "declared_conflict", "automatic_conflict")
    assert response.status_code == (302 if kind in members else CONFLICTS_EXPECTED[kind])
    declared = DefiConflict.objects.filter(defi=setting["defi"], reason="Lien familial")
    assert declared.exists() == (kind in ("assigned", "other_juror", "automatic_conflict"))


def test_jury_conflict_declare_get_is_not_allowed(client, setting):
    client.force_login(setting["member"].user)
    url = reverse("jury:conflict_declare", args=[setting["jury"].pk, setting["defi"].pk])

    assert client.get(url).status_code == 405


def test_jury_conflict_declare_defi_of_another_jury_is_404(client, setting):
    other_call = ProjectCallFactory()
    jury_for_call(other_call)
    stranger = submitted_defi(other_call)
    client.force_login(setting["member"].user)
    url = reverse("jury:conflict_declare", args=[setting["jury"].pk, stranger.pk])

    assert client.post(url, {}).status_code == 404
    assert not DefiConflict.objects.exists()


@pytest.mark.parametrize("kind", EVALUATION_EXPECTED)
def test_jury_dashboard_permissions(client, setting, kind):
    evaluation = _login(client, kind, setting)

    response = client.get(reverse("jury:dashboard"))

    if kind == "anonymous":
        assert response.status_code == 302
        return
    # Everyone signed in has the page; only the assigned juror finds this dossier on it.
    assert response.status_code == 200
    assert (_url(evaluation) in _text(response)) == (kind == "assigned")


@pytest.mark.parametrize("kind", ["agent", "candidate", "staff", "withdrawn"])
def test_jury_dashboard_without_membership_explains(client, setting, kind):
    _login(client, kind, setting)

    response = client.get(reverse("jury:dashboard"))

    assert response.status_code == 200
    assert response.context["groups"] == []
    assert "Vous n’avez aucun dossier à évaluer" in _text(response)


def test_jury_dashboard_groups_progress_and_deadline(client, setting):
    jury, member = setting["jury"], setting["member"]
    jury.scoring_deadline = datetime.datetime(2031, 3, 14, 17, 0, tzinfo=datetime.UTC)
    jury.save(update_fields=["scoring_deadline"])
    for state in (State.DRAFT, State.SUBMITTED):
        DefiEvaluation.objects.create(
            member=member, defi=submitted_defi(jury.project_call), state=state
        )
    client.force_login(member.user)

    response = client.get(reverse("jury:dashboard"))

    [group] = response.context["groups"]
    assert (group["total"], group["submitted"], group["draft"], group["pending"]) == (3, 1, 1, 1)
    content = _text(response)
    assert "Évaluations soumises : 1 sur 3" in content
    assert "Il vous reste 2 évaluations à soumettre : 1 à commencer, 1 en brouillon." in content
    assert "14 mars 2031 à 18h00" in content  # Europe/Paris, winter time
    for badge in ("À faire", "Brouillon", "Soumise"):
        assert badge in content
    assert reverse("jury:conflicts", args=[jury.pk]) in content


# --- Scoring ---------------------------------------------------------------------------


@pytest.fixture
def juror(client, setting):
    client.force_login(setting["member"].user)
    return client


def test_evaluation_page_shows_defi_and_form(juror, setting):
    evaluation, defi = setting["evaluation"], setting["defi"]

    response = juror.get(_url(evaluation))

    content = _text(response)
    assert defi.title in content
    assert "EIG 1 : " in content  # positions sought
    assert _url(evaluation, "evaluation_pitch_deck") in content
    assert reverse("projects:defi_pitch_deck", args=[defi.pk]) not in content
    criterion = setting["criteria"][0]
    assert f'name="score_{criterion.pk}"' in content
    assert "1 – pas du tout satisfaisant" in content
    assert 'name="version" value="0"' in content
    assert 'value="draft"' in content and 'value="submit"' in content


def test_evaluation_pitch_deck_streams_the_pdf(juror, setting):
    response = juror.get(_url(setting["evaluation"], "evaluation_pitch_deck"))

    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_evaluation_save_draft(juror, setting):
    evaluation = setting["evaluation"]
    first = setting["criteria"][0]

    response = juror.post(_url(evaluation), _post_data(setting))

    assert response.status_code == 302
    assert response.url == _url(evaluation)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.version) == (State.DRAFT, 1)
    assert _scores(evaluation)[first.pk] == 3
    assert DefiScore.objects.get(evaluation=evaluation, criterion=first).comment == (
        f"Mon avis sur {first.name}"
    )
    page = juror.get(_url(evaluation))
    assert 'name="version" value="1"' in _text(page)
    assert "Brouillon enregistré." in _text(page)


def test_evaluation_submit_then_read_only(juror, setting):
    evaluation = setting["evaluation"]

    response = juror.post(_url(evaluation), _post_data(setting, action="submit", values=(4, 2, 1)))

    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state == State.SUBMITTED
    assert evaluation.submitted_at is not None
    assert sorted(_scores(evaluation).values()) == [1, 2, 4]
    content = _text(juror.get(_url(evaluation)))
    assert "Évaluation soumise le" in content
    assert "<strong>4</strong> – excellent" in content
    assert "Soumettre l’évaluation" not in content
    assert "soumise" in content.lower()


def test_evaluation_reedit_after_submit_refused(juror, setting):
    evaluation = setting["evaluation"]
    juror.post(_url(evaluation), _post_data(setting, action="submit", values=(4, 2, 1)))
    before = _snapshot(evaluation)

    response = juror.post(
        _url(evaluation),
        _post_data(setting, version=evaluation.version, values=(1, 1, 1), overall_comment="Revu"),
    )

    assert response.status_code == 400
    content = _text(response)
    assert "Cette évaluation est soumise" in content
    assert "Revu" in content  # the input is kept
    assert _snapshot(evaluation) == before


def test_evaluation_reopened_by_staff_shows_in_history(juror, setting):
    evaluation = setting["evaluation"]
    juror.post(_url(evaluation), _post_data(setting, action="submit", values=(4, 2, 1)))
    evaluation_reopen(
        domain=DEFI_JURY, evaluation=evaluation, actor=StaffFactory(), note="Critère 2 à revoir"
    )

    content = _text(juror.get(_url(evaluation)))

    assert "rouverte par l'équipe" in content
    assert "Critère 2 à revoir" in content
    assert "Soumettre l’évaluation" in content


def test_evaluation_stale_version_refused_with_input_kept(juror, setting):
    evaluation = setting["evaluation"]
    juror.post(_url(evaluation), _post_data(setting, values=(2, None, None)))
    before = _snapshot(evaluation)

    response = juror.post(
        _url(evaluation),
        _post_data(setting, version=0, values=(4, 4, None), overall_comment="Ma version"),
    )

    assert response.status_code == 400
    content = _text(response)
    assert "modifiée entre-temps" in content
    assert "Ma version" in content
    assert "Version enregistrée" in content and "note 2 – peu satisfaisant" in content
    # The form now carries the saved version: posting it again is a deliberate overwrite.
    assert response.context["form"]["version"].value() == before[1]
    assert _snapshot(evaluation) == before


def test_evaluation_stale_then_merged_input_saves(juror, setting):
    evaluation = setting["evaluation"]
    juror.post(_url(evaluation), _post_data(setting, values=(2, None, None)))
    stale = juror.post(_url(evaluation), _post_data(setting, version=0, values=(4, 4, None)))

    version = stale.context["form"]["version"].value()
    response = juror.post(_url(evaluation), _post_data(setting, version=version, values=(2, 4, 1)))

    assert response.status_code == 302
    assert sorted(_scores(evaluation).values()) == [1, 2, 4]


def test_evaluation_two_tabs_second_post_is_stale(client, setting):
    evaluation = setting["evaluation"]
    client.force_login(setting["member"].user)
    tab_one = client.get(_url(evaluation)).context["form"]["version"].value()
    tab_two = client.get(_url(evaluation)).context["form"]["version"].value()

    first = client.post(_url(evaluation), _post_data(setting, version=tab_one, values=(1, 2, 3)))
    second = client.post(_url(evaluation), _post_data(setting, version=tab_two, values=(4, 4, 4)))

    assert (first.status_code, second.status_code) == (302, 400)
    assert "modifiée entre-temps" in _text(second)
    assert sorted(_scores(evaluation).values()) == [1, 2, 3]


def test_evaluation_out_of_range_score_refused_in_french(juror, setting):
    evaluation = setting["evaluation"]
    first = setting["criteria"][0]
    before = _snapshot(evaluation)

    response = juror.post(
        _url(evaluation), _post_data(setting, values=(9, 2, None), overall_comment="À garder")
    )

    assert response.status_code == 400
    content = _text(response)
    assert f"Choisissez une note entre 1 et 4 pour « {first.name} »." in content
    assert "À garder" in content
    assert f"Mon avis sur {first.name}" in content
    assert _snapshot(evaluation) == before


def test_evaluation_submit_with_missing_scores_refused(juror, setting):
    evaluation = setting["evaluation"]
    before = _snapshot(evaluation)
    missing = setting["criteria"][1:]

    response = juror.post(
        _url(evaluation), _post_data(setting, action="submit", values=(3, None, None))
    )

    assert response.status_code == 400
    content = _text(response)
    assert "Notez chaque critère avant de soumettre" in content
    assert [c.pk for c in response.context["missing"]] == [c.pk for c in missing]
    for criterion in missing:
        assert f'href="#critere-{criterion.pk}"' in content
    assert f'id="id_score_{setting["criteria"][0].pk}_2" checked' in content  # 3 kept
    assert _snapshot(evaluation) == before


def test_evaluation_too_long_comment_refused(juror, setting):
    evaluation = setting["evaluation"]
    before = _snapshot(evaluation)
    first = setting["criteria"][0]

    response = juror.post(
        _url(evaluation), _post_data(setting, **{f"comment_{first.pk}": "x" * 2001})
    )

    assert response.status_code == 400
    assert "2000 caractères au plus (vous en avez saisi 2001)." in _text(response)
    assert _snapshot(evaluation) == before


def test_evaluation_deadline_passed(juror, setting):
    evaluation, jury = setting["evaluation"], setting["jury"]
    jury.scoring_deadline = timezone.now() - datetime.timedelta(hours=1)
    jury.save(update_fields=["scoring_deadline"])
    before = _snapshot(evaluation)

    page = juror.get(_url(evaluation))
    response = juror.post(_url(evaluation), _post_data(setting, overall_comment="Trop tard"))

    assert page.status_code == 200
    assert "La date limite des évaluations est passée" in _text(page)
    assert "Enregistrer le brouillon" not in _text(page)
    assert all(field.disabled for field in page.context["form"].fields.values())
    assert response.status_code == 400
    assert "La date limite des évaluations est passée" in _text(response)
    assert "Trop tard" in _text(response)
    assert _snapshot(evaluation) == before


def test_two_jurors_score_the_same_defi_independently(client, setting):
    evaluation = setting["evaluation"]
    other = DefiEvaluation.objects.create(member=setting["other_member"], defi=setting["defi"])

    client.force_login(setting["member"].user)
    first = client.post(_url(evaluation), _post_data(setting, action="submit", values=(1, 1, 1)))
    client.force_login(setting["other_member"].user)
    second = client.post(_url(other), _post_data(setting, action="submit", values=(4, 4, 4)))

    assert (first.status_code, second.status_code) == (302, 302)
    assert sorted(_scores(evaluation).values()) == [1, 1, 1]
    assert sorted(_scores(other).values()) == [4, 4, 4]


# --- Other jurors' scores --------------------------------------------------------------


def _other_submitted(client, setting):
    other = DefiEvaluation.objects.create(member=setting["other_member"], defi=setting["defi"])
    client.force_login(setting["other_member"].user)
    client.post(
        _url(other),
        _post_data(setting, action="submit", values=(4, 3, 2), overall_comment="Avis du second"),
    )
    client.force_login(setting["member"].user)
    return other


@pytest.mark.parametrize(
    ("visibility", "before_own", "after_own"),
    [
        (Jury.Visibility.NEVER, False, False),
        (Jury.Visibility.AFTER_OWN, False, True),
        (Jury.Visibility.ALWAYS, True, True),
    ],
)
def test_other_jurors_scores_visibility(client, setting, visibility, before_own, after_own):
    jury, evaluation = setting["jury"], setting["evaluation"]
    jury.score_visibility = visibility
    jury.save(update_fields=["score_visibility"])
    _other_submitted(client, setting)

    draft_page = _text(client.get(_url(evaluation)))
    client.post(_url(evaluation), _post_data(setting, action="submit", values=(1, 1, 1)))
    submitted_page = _text(client.get(_url(evaluation)))

    assert ("Avis du second" in draft_page) == before_own
    assert ("Avis du second" in submitted_page) == after_own
    if after_own:
        assert "Juré 1" in submitted_page
    other_name = setting["other_member"].user.last_name
    assert other_name not in draft_page and other_name not in submitted_page


# --- Conflicts -------------------------------------------------------------------------


def test_conflict_declare_removes_the_dossier_from_the_dashboard(juror, setting):
    evaluation, defi, jury = setting["evaluation"], setting["defi"], setting["jury"]
    assert _url(evaluation) in _text(juror.get(reverse("jury:dashboard")))

    response = juror.post(
        reverse("jury:conflict_declare", args=[jury.pk, defi.pk]),
        {f"conflit-{defi.pk}-reason": "J'ai travaillé dans cette direction", "confirm": "1"},
    )

    assert response.status_code == 302
    assert response.url == reverse("jury:conflicts", args=[jury.pk])
    conflicts = _text(juror.get(response.url))
    assert "Conflit déclaré" in conflicts
    assert "Conflit d'intérêts déclaré pour" in conflicts
    assert not DefiEvaluation.objects.filter(pk=evaluation.pk).exists()
    assert DefiConflict.objects.get(defi=defi).reason == "J'ai travaillé dans cette direction"
    dashboard = _text(juror.get(reverse("jury:dashboard")))
    assert _url(evaluation) not in dashboard
    assert juror.get(_url(evaluation)).status_code == 404


def test_conflict_declare_on_a_submitted_evaluation_is_refused_with_a_message(juror, setting):
    evaluation, defi, jury = setting["evaluation"], setting["defi"], setting["jury"]
    evaluation.state = DefiEvaluation.State.SUBMITTED
    evaluation.save(update_fields=["state"])

    response = juror.post(
        reverse("jury:conflict_declare", args=[jury.pk, defi.pk]),
        {f"conflit-{defi.pk}-reason": "Après coup"},
        follow=True,
    )

    assert "déjà soumise" in _text(response)
    assert DefiEvaluation.objects.filter(pk=evaluation.pk).exists()
    assert not DefiConflict.objects.exists()


def test_conflicts_page_shows_automatic_reason_and_no_content(client, setting):
    defi = setting["defi"]
    member = JuryMemberFactory(
        jury=setting["jury"], user=JurorFactory(administration=defi.administration)
    )
    client.force_login(member.user)

    response = client.get(reverse("jury:conflicts", args=[setting["jury"].pk]))

    content = _text(response)
    assert "Membre de l'administration qui porte le défi" in content
    assert defi.title in content
    assert defi.problem not in content  # titles and administrations only
    assert "Déclarer un conflit d’intérêts" not in content.split("<tbody>")[1]


def test_conflict_declare_too_long_reason_refused(juror, setting):
    defi, jury = setting["defi"], setting["jury"]

    response = juror.post(
        reverse("jury:conflict_declare", args=[jury.pk, defi.pk]),
        {f"conflit-{defi.pk}-reason": "x" * 301},
    )

    assert response.status_code == 400
    assert "300 caractères au plus (vous en avez saisi 301)." in _text(response)
    assert not DefiConflict.objects.exists()
    assert DefiEvaluation.objects.filter(pk=setting["evaluation"].pk).exists()


# --- Query counts ----------------------------------------------------------------------


def _jury_with_dossiers(rows):
    call = ProjectCallFactory()
    jury = jury_for_call(call, criteria=3, jurors=1)
    member = jury.members.get()
    for _ in range(rows):
        DefiEvaluation.objects.create(member=member, defi=submitted_defi(call))
    return jury, member


@pytest.mark.parametrize("rows", [1, 3])
def test_jury_dashboard_query_count(client, django_assert_num_queries, rows):
    jury, member = _jury_with_dossiers(rows)
    client.force_login(member.user)

    with django_assert_num_queries(QUERIES_DASHBOARD):
        response = client.get(reverse("jury:dashboard"))

    assert len(response.context["groups"][0]["evaluations"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_jury_dashboard_query_count_with_hearings(client, django_assert_num_queries, rows):
    staff = StaffFactory()
    jury = jury_for_call(ClosedProjectCallFactory(), jurors=2)
    group = group_of(jury)
    for index in range(rows):
        defi = shortlisted(jury, staff)
        slot_for(jury, group, defi, staff, timezone.now() + datetime.timedelta(days=3, hours=index))
    member = jury.members.order_by("pk").first()
    client.force_login(member.user)

    with django_assert_num_queries(QUERIES_DASHBOARD_HEARINGS):
        response = client.get(reverse("jury:dashboard"))

    assert len(response.context["hearings"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_jury_dashboard_query_count_across_juries(client, django_assert_num_queries, rows):
    user = JurorFactory()
    for _ in range(rows):
        jury, member = _jury_with_dossiers(2)
        member.user = user
        member.save(update_fields=["user"])
    client.force_login(user)

    with django_assert_num_queries(QUERIES_DASHBOARD):
        response = client.get(reverse("jury:dashboard"))

    assert [len(group["evaluations"]) for group in response.context["groups"]] == [2] * rows


@pytest.mark.parametrize("rows", [1, 3])
def test_jury_conflicts_query_count(client, django_assert_num_queries, rows):
    jury, member = _jury_with_dossiers(rows)
    DefiConflict.objects.create(member=member, defi=submitted_defi(jury.project_call))
    client.force_login(member.user)

    with django_assert_num_queries(QUERIES_CONFLICTS):
        response = client.get(reverse("jury:conflicts", args=[jury.pk]))

    assert len(response.context["rows"]) == rows + 1


@pytest.mark.parametrize("rows", [1, 3])
def test_evaluation_page_query_count(client, django_assert_num_queries, rows):
    call = ProjectCallFactory()
    jury = jury_for_call(call, criteria=rows, jurors=rows + 1)
    jury.score_visibility = Jury.Visibility.ALWAYS
    jury.save(update_fields=["score_visibility"])
    defi = submitted_defi(call)
    me, *others = jury.members.order_by("pk")
    evaluation = DefiEvaluation.objects.create(member=me, defi=defi)
    criteria = list(jury.criteria.all())
    for member in others:
        other = DefiEvaluation.objects.create(member=member, defi=defi, state=State.SUBMITTED)
        DefiScore.objects.bulk_create(
            DefiScore(evaluation=other, criterion=c, value=2) for c in criteria
        )
    client.force_login(me.user)

    with django_assert_num_queries(QUERIES_EVALUATION):
        response = client.get(_url(evaluation))

    assert len(response.context["others"]["columns"]) == rows


# --- The conflicts page at scale: pages, search, forms without crispy -----------------------


def _conflicts_url(jury):
    return reverse("jury:conflicts", args=[jury.pk])


def test_jury_conflicts_page_is_paginated(juror, setting, monkeypatch):
    from eig.jury.views import juror as views

    monkeypatch.setattr(views, "CONFLICTS_PAGE_SIZE", 1)
    submitted_defi(setting["jury"].project_call)

    first = juror.get(_conflicts_url(setting["jury"]))
    second = juror.get(_conflicts_url(setting["jury"]), {"page": 2})

    assert len(first.context["rows"]) == len(second.context["rows"]) == 1
    assert first.context["rows"][0]["dossier"] != second.context["rows"][0]["dossier"]
    assert "(page 1 sur 2)" in _text(first)
    assert "(2 dossiers)" in _text(first)


def test_jury_conflicts_page_searches_title_and_administration(juror, setting):
    defi = setting["defi"]
    other = submitted_defi(setting["jury"].project_call, title="Cadastre solaire partagé")

    by_title = juror.get(_conflicts_url(setting["jury"]), {"q": "cadastre SOLAIRE"})
    by_administration = juror.get(_conflicts_url(setting["jury"]), {"q": defi.administration.name})
    nothing = juror.get(_conflicts_url(setting["jury"]), {"q": "introuvable"})

    assert [row["dossier"] for row in by_title.context["rows"]] == [other]
    assert defi in [row["dossier"] for row in by_administration.context["rows"]]
    assert "Aucun dossier ne correspond à « introuvable »" in _text(nothing)


def test_jury_conflicts_page_shows_the_page_of_a_form_with_errors(juror, setting, monkeypatch):
    from eig.jury.views import juror as views

    monkeypatch.setattr(views, "CONFLICTS_PAGE_SIZE", 1)
    call = setting["jury"].project_call
    last = submitted_defi(call, title="Zzz, dernier par le titre")

    response = juror.post(
        reverse("jury:conflict_declare", args=[setting["jury"].pk, last.pk]),
        {f"conflit-{last.pk}-reason": "x" * 301},
    )

    assert response.status_code == 400
    assert response.context["page_obj"].number == 2
    assert "300 caractères au plus (vous en avez saisi 301)." in _text(response)


def test_jury_conflict_form_renders_as_crispy_does():
    from django.template import Context, Template
    from django.template.loader import render_to_string
    from django.test.html import parse_html

    from eig.jury.forms import ConflictDeclareForm

    form = ConflictDeclareForm(prefix="conflit-7")
    crispy = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
        Context({"form": form})
    )
    fast = render_to_string("jury/juror/includes/conflict_form.html", {"form": form})

    assert parse_html(fast) == parse_html(crispy)
