"""Staff ranking page, its CSV and XLSX exports, and one défi's evaluations."""

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.db.backends.postgresql import base as postgresql_base
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from eig.history.selectors import history_for
from eig.history.services import record
from eig.jury.models import EvaluationAction
from eig.jury.selectors import jury_ranking, ranking_criterion_key
from eig.jury.services import jury_aggregates_rebuild
from eig.jury.views import ranking
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation, DefiReview, DefiScore
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    DefiFactory,
    JurorFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
)

pytestmark = pytest.mark.django_db

State = DefiEvaluation.State

# user (the session comes from the cache), jury, criteria, the stored rows' grid
# (`jury_aggregates_stale`), the rows' count and the rows, the layout's site settings
# (twice, django-dsfr): the same for 1 and for 250 rows, and at every render (no cache).
RANKING_QUERIES = 8
# user (the session is read from the cache), jury, criteria, the stored rows' grid, every row.
EXPORT_QUERIES = 5
# user (the session comes from the cache), jury, défi, criteria, evaluations with their
# scores and history (3), the stored rows' grid, its ranking figures, the layout's site
# settings (2).
DEFI_QUERIES = 11


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


@pytest.fixture
def jury():
    # Two criteria, weights 1 and 2, and three jurors.
    return jury_for_call(ProjectCallFactory(), criteria=2, jurors=3, k=3)


def _defi(jury, state=Defi.State.SUBMITTED, **kwargs):
    return DefiFactory(call=jury.project_call, state=state, **kwargs)


def _evaluate(defi, member, values, *, state=State.SUBMITTED, comments=None):
    evaluation = DefiEvaluation.objects.create(
        defi=defi,
        member=member,
        state=state,
        overall_comment="Un défi utile." if state == State.SUBMITTED else "",
        submitted_at=timezone.now() if state == State.SUBMITTED else None,
    )
    criteria = list(member.jury.criteria.order_by("position"))
    comments = comments or [""] * len(criteria)
    DefiScore.objects.bulk_create(
        DefiScore(evaluation=evaluation, criterion=criterion, value=value, comment=comment)
        for criterion, value, comment in zip(criteria, values, comments, strict=True)
    )
    # Written around the services: the stored figures the pages read are rebuilt.
    jury_aggregates_rebuild(domain=DEFI_JURY, jury=member.jury)
    return evaluation


def _scored(jury, scores, **kwargs):
    """A défi scored by the first jurors, one list of values per juror."""
    defi = _defi(jury, **kwargs)
    for member, values in zip(jury.members.order_by("pk"), scores, strict=False):
        _evaluate(defi, member, values)
    return defi


def _url(name, jury, *args, query=""):
    return reverse(f"jury:{name}", args=[jury.pk, *args]) + (f"?{query}" if query else "")


def _titles(response):
    return [row["title"] for row in response.context["rows"]]


# --- The page -------------------------------------------------------------------------


def test_ranking_page_shows_figures_in_french(client, staff, jury):
    # Overall scores 2, 10/3 and 3: weighted 25/9, median 3, spread 4/3.
    defi = _scored(jury, [[4, 1], [2, 4], [3, 3]], title="Un défi noté")
    _defi(jury, title="Un défi sans note")

    response = client.get(_url("selection_ranking", jury))

    assert response.status_code == 200
    first, last = response.context["rows"]
    assert first["title"] == "Un défi noté"
    assert first["url"] == reverse("jury:selection_dossier", args=[jury.pk, defi.pk])
    assert [first["rank"], first["done"], first["due"]] == ["1", "3", "3"]
    assert first["criteria"] == ["3,00", "2,67"]
    assert [first["weighted"], first["mean"], first["median"], first["spread"]] == [
        "2,78",
        "2,78",
        "3,00",
        "1,33",
    ]
    assert last["title"] == "Un défi sans note"
    assert [last["rank"], last["weighted"], last["criteria"]] == ["", "", ["", ""]]
    content = response.content.decode()
    assert "<strong>2,78</strong>" in content
    assert "écart important" not in content


def test_ranking_table_puts_rank_and_weighted_score_right_after_the_title(client, staff, jury):
    _scored(jury, [[4, 1], [2, 4], [3, 3]], title="Un défi noté")

    content = client.get(_url("selection_ranking", jury)).content.decode()

    head = content[content.index("<thead>") : content.index("</thead>")]
    headers = [cell.split(">", 1)[1].split("<", 1)[0] for cell in head.split("<th ")[1:]]
    assert headers[:4] == ["Défi", "Rang", "Note pondérée", "Écart"]
    assert headers[-1] == "Administration"
    row = content[content.index("<tbody>") :]
    assert row.index("Un défi noté") < row.index("<strong>2,78</strong>") < row.index("3,00")


def test_ranking_page_flags_a_large_spread_and_the_shortlist(client, staff, jury):
    jury.spread_threshold = 1
    jury.save(update_fields=["spread_threshold"])
    defi = _scored(jury, [[4, 1], [2, 4]])
    DefiReview.objects.create(jury=jury, defi=defi, shortlisted_at=timezone.now())

    content = client.get(_url("selection_ranking", jury)).content.decode()

    assert "écart important" in content
    assert "Présélectionné" in content


def test_ranking_page_paginates_by_250(client, staff, jury, monkeypatch):
    monkeypatch.setattr(ranking, "RANKING_PAGE_SIZE", 2)
    for value in (1, 2, 3):
        _scored(jury, [[value, value]], title=f"Défi {value}")

    first = client.get(_url("selection_ranking", jury))
    second = client.get(_url("selection_ranking", jury, query="page=2"))

    assert _titles(first) == ["Défi 3", "Défi 2"]
    assert _titles(second) == ["Défi 1"]
    assert ranking.RANKING_PAGE_SIZE == 2


def test_ranking_page_size_is_250():
    assert ranking.RANKING_PAGE_SIZE == 250


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Haut", "Bas", "Disputé", "Brouillon", "Présélectionné"]),
        ("q=haut", ["Haut"]),
        ("q=Ministère+des+tests", ["Bas"]),
        ("complete=on", ["Haut", "Bas", "Disputé"]),
        ("large_spread=on", ["Disputé"]),
        ("shortlisted=oui", ["Présélectionné"]),
        ("shortlisted=non", ["Haut", "Bas", "Disputé", "Brouillon"]),
        ("state=shortlisted", ["Présélectionné"]),
        ("tri=mean", ["Haut", "Bas", "Disputé", "Brouillon", "Présélectionné"]),
        ("tri=spread", ["Disputé", "Haut", "Bas", "Brouillon", "Présélectionné"]),
        ("tri=done", ["Brouillon", "Présélectionné", "Bas", "Haut", "Disputé"]),
        ("tri=title", ["Bas", "Brouillon", "Disputé", "Haut", "Présélectionné"]),
        ("tri=n-importe-quoi", ["Haut", "Bas", "Disputé", "Brouillon", "Présélectionné"]),
    ],
)
def test_ranking_filters_and_sorts(client, staff, jury, query, expected):
    jury.spread_threshold = 1
    jury.save(update_fields=["spread_threshold"])
    _scored(jury, [[4, 4], [4, 3]], title="Haut")  # 3.78; spread 2/3
    low = _scored(jury, [[2, 2]], title="Bas")  # 2
    low.administration.name = "Ministère des tests"
    low.administration.save(update_fields=["name"])
    _scored(jury, [[1, 1], [3, 3]], title="Disputé")  # 2 ; spread 2
    draft = _defi(jury, title="Brouillon")
    _evaluate(draft, jury.members.first(), [4, 4], state=State.DRAFT)
    shortlisted = _defi(jury, title="Présélectionné", state=Defi.State.SHORTLISTED)
    DefiReview.objects.create(jury=jury, defi=shortlisted, shortlisted_at=timezone.now())

    response = client.get(_url("selection_ranking", jury, query=query))

    assert response.status_code == 200
    assert _titles(response) == expected


def test_ranking_export_links_keep_the_filters(client, staff, jury):
    response = client.get(_url("selection_ranking", jury, query="q=eau&tri=spread&page=1"))

    content = response.content.decode()
    assert _url("selection_ranking_csv", jury, query="q=eau&amp;tri=spread") in content
    assert _url("selection_ranking_xlsx", jury, query="q=eau&amp;tri=spread") in content


# --- Exports ---------------------------------------------------------------------------


def test_ranking_csv_has_every_filtered_row_for_excel(client, staff, jury, monkeypatch):
    monkeypatch.setattr(ranking, "RANKING_PAGE_SIZE", 1)
    first = _scored(jury, [[4, 1], [2, 4], [3, 3]], title="Défi ; premier")
    _scored(jury, [[1, 1]], title='=HYPERLINK("http://exemple.org")')
    _defi(jury, title="Défi sans note")

    response = client.get(_url("selection_ranking_csv", jury, query="tri=weighted"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="classement-{jury.project_call.slug}.csv"'
    )
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content[1:]), delimiter=";"))
    criteria = [criterion.name for criterion in jury.criteria.order_by("position")]
    assert rows[0] == [
        "Rang",
        "N° du défi",
        "Défi",
        "Administration",
        "État",
        "Évaluations soumises",
        "Évaluations dues",
        f"{criteria[0]} (moyenne)",
        f"{criteria[1]} (moyenne)",
        "Note pondérée",
        "Moyenne des jurés",
        "Médiane des jurés",
        "Écart entre jurés",
        "Écart important",
        "Présélectionné",
        "Note normalisée par juré",
        "Rang par la note normalisée",
    ]
    assert rows[1] == [
        "1",
        str(first.pk),
        "Défi ; premier",
        str(first.administration),
        "Déposé",
        "3",
        "3",
        "3,00",
        "2,67",
        "2,78",
        "2,78",
        "3,00",
        "1,33",
        "non",
        "non",
        # The first juror scored both défis (2 and 1 overall: +1 here), the others one
        # (0): (1 + 0 + 0) / 3.
        "0,33",
        "1",
    ]
    assert rows[2][2] == '\'=HYPERLINK("http://exemple.org")'
    assert rows[3][0] == ""
    assert rows[3][7:13] == [""] * 6
    assert len(rows) == 4


def test_ranking_csv_keeps_the_filters(client, staff, jury):
    _scored(jury, [[4, 4]], title="Haut")
    _scored(jury, [[1, 1]], title="Bas")

    response = client.get(_url("selection_ranking_csv", jury, query="q=bas"))

    rows = list(csv.reader(io.StringIO(response.content.decode()[1:]), delimiter=";"))
    assert [row[2] for row in rows[1:]] == ["Bas"]


def test_ranking_xlsx_has_one_sheet_of_numbers(client, staff, jury, monkeypatch):
    monkeypatch.setattr(ranking, "RANKING_PAGE_SIZE", 1)
    first = _scored(jury, [[4, 1], [2, 4], [3, 3]], title="Défi premier")
    _scored(jury, [[1, 1]], title="=1+1")
    _defi(jury, title="Défi sans note")

    response = client.get(_url("selection_ranking_xlsx", jury))

    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="classement-{jury.project_call.slug}.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Classement"]
    sheet = workbook["Classement"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows())
    assert len(rows) == 4
    assert all(cell.font.bold for cell in rows[0])
    assert rows[0][9].value == "Note pondérée"
    values = [cell.value for cell in rows[1]]
    assert values[:7] == [1, first.pk, "Défi premier", str(first.administration), "Déposé", 3, 3]
    assert values[7:13] == pytest.approx([3, 8 / 3, 25 / 9, 25 / 9, 3, 4 / 3])
    assert values[13:15] == ["non", "non"]
    assert values[15:] == [pytest.approx(1 / 3), 1]
    assert rows[1][9].number_format == "0.00"
    assert rows[2][2].value == "=1+1"
    assert rows[2][2].data_type == "s"
    assert [cell.value for cell in rows[3][7:13]] == [None] * 6


@pytest.fixture(params=["server", "client"])
def binding(request):
    """Cursors that bind parameters on the server (the default), or on the client (behind
    a pooler in transaction mode), which read text only."""
    connection.ensure_connection()
    factory = connection.connection.cursor_factory
    if request.param == "client":
        connection.connection.cursor_factory = postgresql_base.Cursor
    yield request.param
    connection.connection.cursor_factory = factory


@pytest.mark.parametrize("stale", [False, True])
def test_ranking_export_reads_its_rows_as_values_list_would(jury, binding, stale):
    jury.spread_threshold = 1
    jury.save(update_fields=["spread_threshold"])
    disputed = _scored(jury, [[4, 1], [2, 4]], title='=HYPERLINK("http://exemple.org")')
    DefiReview.objects.create(jury=jury, defi=disputed, shortlisted_at=timezone.now())
    _scored(jury, [[1, 1], [3, 2], [5, 5]], title="Défi ; second")
    _defi(jury, title="Défi sans note")
    if stale:
        # A weight changed outside the admin: the figures are computed from the scores.
        jury.criteria.filter(position=2).update(weight=3)
    criteria = list(jury.criteria.order_by("position"))
    names = [
        *ranking._ranking_fields(DEFI_JURY),
        *(ranking_criterion_key(criterion) for criterion in criteria),
        *("rank", "normalised_rank", "due", "done", "weighted", "normalised", "mean"),
        *("median", "spread", "overall_min", "overall_max", "spread_flagged", "shortlisted_at"),
    ]
    rows = jury_ranking(DEFI_JURY, jury, criteria=criteria).values_list(*names)

    read = ranking._rows_as_sent(rows)

    assert read == list(rows)
    assert [list(map(type, row)) for row in read] == [list(map(type, row)) for row in rows]
    assert {type(value) for row in read for value in row} >= {int, float, str, bool}
    assert ranking._rows_as_sent(rows.none()) == []


# --- Permissions -----------------------------------------------------------------------


def _pages(jury, defi):
    return [
        _url("selection_ranking", jury),
        _url("selection_ranking_csv", jury),
        _url("selection_ranking_xlsx", jury),
        _url("selection_dossier", jury, defi.pk),
    ]


def test_ranking_pages_are_for_staff(client, staff, jury):
    defi = _scored(jury, [[4, 4]])
    for url in _pages(jury, defi):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "factory", [AgentFactory, CandidateFactory, JurorFactory], ids=["agent", "candidate", "juror"]
)
def test_ranking_pages_refuse_other_roles(client, jury, factory):
    defi = _scored(jury, [[4, 4]])
    evaluation = defi.evaluations.get()
    user = factory()
    if factory is JurorFactory:
        JuryMemberFactory(jury=jury, user=user)
    client.force_login(user)

    for url in _pages(jury, defi):
        assert client.get(url).status_code == 403
    reopen = _url("selection_evaluation_reopen", jury, evaluation.pk)
    assert client.post(reopen, {"note": "Revoir"}).status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.state == State.SUBMITTED


def test_ranking_pages_send_anonymous_users_to_login(client, jury):
    defi = _scored(jury, [[4, 4]])
    for url in _pages(jury, defi):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_ranking_defi_of_another_jury_is_404(client, staff, jury):
    other = jury_for_call(ProjectCallFactory(), criteria=2, jurors=1)
    defi = _scored(other, [[4, 4]])

    assert client.get(_url("selection_dossier", jury, defi.pk)).status_code == 404
    evaluation = defi.evaluations.get()
    response = client.post(_url("selection_evaluation_reopen", jury, evaluation.pk), {"note": "x"})
    assert response.status_code == 404


# --- One défi's evaluations ------------------------------------------------------------


def test_defi_page_names_jurors_with_their_scores_comments_and_history(client, staff, jury):
    defi = _defi(jury, title="Le défi")
    first, second, third = jury.members.order_by("pk").select_related("user")
    submitted = _evaluate(defi, first, [4, 1], comments=["Très clair", "Peu d'impact"])
    _evaluate(defi, second, [2, None], state=State.DRAFT)
    DefiEvaluation.objects.create(defi=defi, member=third)
    record(submitted, action=EvaluationAction.SUBMITTED, actor=first.user)

    response = client.get(_url("selection_dossier", jury, defi.pk))

    content = response.content.decode()
    for member in (first, second, third):
        assert member.user.get_full_name() in content
    assert "Très clair" in content
    assert "Peu d&#x27;impact" in content
    assert "Un défi utile." in content
    assert "soumise, par" in content
    assert content.count("Rouvrir<span") == 1  # the submitted evaluation only
    assert reverse("projects:defi_detail", args=[defi.pk]) in content
    assert response.context["figures"]["weighted"] == "2,00"


def test_reopen_gives_the_evaluation_back_with_history_and_mail(
    client, staff, jury, django_capture_on_commit_callbacks
):
    defi = _defi(jury, title="Le défi")
    member = jury.members.select_related("user").first()
    evaluation = _evaluate(defi, member, [4, 4])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("selection_evaluation_reopen", jury, evaluation.pk),
            {"note": "Le commentaire du critère 2 manque."},
        )

    assert response.status_code == 302
    assert response.url == _url("selection_dossier", jury, defi.pk)
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.submitted_at) == (State.DRAFT, None)
    event = history_for(evaluation).get()
    assert (event.action, event.actor, event.note) == (
        EvaluationAction.REOPENED,
        staff,
        "Le commentaire du critère 2 manque.",
    )
    [message] = mail.outbox
    assert message.to == [member.user.email]
    assert "Le commentaire du critère 2 manque." in message.body
    page = client.get(response.url).content.decode()
    assert "est rouverte" in page
    assert "rouverte par l&#x27;équipe, par" in page


def test_reopen_is_refused_for_an_evaluation_not_submitted(client, staff, jury):
    defi = _defi(jury)
    evaluation = _evaluate(defi, jury.members.first(), [4, 4], state=State.DRAFT)

    response = client.post(
        _url("selection_evaluation_reopen", jury, evaluation.pk), {"note": "Revoir"}, follow=True
    )

    assert "Seule une évaluation soumise peut être rouverte." in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == State.DRAFT
    assert not history_for(evaluation).exists()
    assert mail.outbox == []


def test_reopen_needs_a_reason(client, staff, jury):
    defi = _defi(jury)
    evaluation = _evaluate(defi, jury.members.first(), [4, 4])

    response = client.post(_url("selection_evaluation_reopen", jury, evaluation.pk), {"note": " "})

    assert response.status_code == 400
    assert "Indiquez au juré pourquoi son évaluation est rouverte." in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == State.SUBMITTED


def test_reopen_only_answers_post(client, staff, jury):
    evaluation = _evaluate(_defi(jury), jury.members.first(), [4, 4])

    response = client.get(_url("selection_evaluation_reopen", jury, evaluation.pk))

    assert response.status_code == 405


# --- Query counts ----------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 3])
def test_ranking_page_query_count(client, staff, jury, django_assert_num_queries, rows):
    for _ in range(rows):
        _scored(jury, [[4, 1], [2, 4], [3, 3]])

    with django_assert_num_queries(RANKING_QUERIES):
        response = client.get(_url("selection_ranking", jury, query="complete=on&tri=median"))

    assert len(response.context["rows"]) == rows
    with django_assert_num_queries(RANKING_QUERIES):
        again = client.get(_url("selection_ranking", jury, query="complete=on&tri=median"))
    # The page differs only by its CSRF tokens; the results are the same bytes.
    table = response.content.decode().split("<table")[1].split("</table>")[0]
    assert table in again.content.decode()


def test_ranking_follows_a_new_score(client, staff, jury):
    defi = _scored(jury, [[4, 4]])
    first = client.get(_url("selection_ranking", jury)).content.decode()
    assert "4,00" in first

    evaluation = _evaluate(defi, jury.members.order_by("pk")[1], [1, 1])
    evaluation.save()

    again = client.get(_url("selection_ranking", jury)).content.decode()
    assert "3,00" in again
    assert "2 / 2" in again


def test_ranking_follows_a_weight_change(client, staff, jury):
    _scored(jury, [[4, 1]])
    assert "2,00" in client.get(_url("selection_ranking", jury)).content.decode()

    jury.criteria.filter(position=2).update(weight=1)

    assert "2,50" in client.get(_url("selection_ranking", jury)).content.decode()


@pytest.mark.parametrize("name", ["selection_ranking_csv", "selection_ranking_xlsx"])
@pytest.mark.parametrize("rows", [1, 3])
def test_ranking_export_query_count(client, staff, jury, django_assert_num_queries, name, rows):
    for _ in range(rows):
        _scored(jury, [[4, 1], [2, 4], [3, 3]])

    with django_assert_num_queries(EXPORT_QUERIES):
        assert client.get(_url(name, jury)).status_code == 200


@pytest.mark.parametrize("evaluations", [1, 3])
def test_defi_page_query_count(client, staff, jury, django_assert_num_queries, evaluations):
    defi = _defi(jury)
    for member in jury.members.order_by("pk")[:evaluations]:
        evaluation = _evaluate(defi, member, [3, 3])
        record(evaluation, action=EvaluationAction.SUBMITTED, actor=member.user)

    with django_assert_num_queries(DEFI_QUERIES):
        response = client.get(_url("selection_dossier", jury, defi.pk))

    assert len(response.context["evaluations"]) == evaluations
