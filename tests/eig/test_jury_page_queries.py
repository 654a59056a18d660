"""Every jury page, as staff and as a juror, runs as many SQL queries with 4 dossiers as with
16, and fewer than the bench's target (bench/jury_pages.py walks the same pages at 2,000):
no page reads per dossier, so none grows with the programme."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eig.jury import services, shortlist
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation
from tests.factories import (
    ClosedProjectCallFactory,
    DefiFactory,
    StaffFactory,
    jury_for_call,
)

pytestmark = pytest.mark.django_db

# bench/ranking.py's TARGET_QUERIES: a page sends fewer.
MAX_QUERIES = 19
SMALL, LARGE = 4, 16


def _jury_at(size: int):
    """A closed call of `size` submitted défis, each scored by two of four jurors, one in
    four shortlisted: what every page lists, in proportion."""
    staff = StaffFactory()
    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=3, jurors=4, k=2)
    for index in range(size):
        DefiFactory(call=call, state=Defi.State.SUBMITTED, title=f"Défi {index:02d}")
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluations = DEFI_JURY.evaluations(jury).select_related("member__user").order_by("pk")
    # All but the last one submitted: the juror's page below shows an evaluation to do.
    for index, evaluation in enumerate(list(evaluations)[:-1]):
        services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=evaluation.version,
            scores={c.pk: (1 + (index + c.position) % 4, "") for c in jury.criteria.all()},
            overall_comment="",
            submit=True,
        )
    for defi in Defi.objects.filter(call=call).order_by("pk")[: size // 4]:
        shortlist.review_shortlist(domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff)
    return jury, staff


def _pages(jury, staff):
    """(name, path, user) of each jury page, as in bench/jury_pages.py."""
    evaluation = (
        DefiEvaluation.objects.filter(member__jury=jury)
        .exclude(state=DefiEvaluation.State.SUBMITTED)
        .select_related("member__user")
        .get()
    )
    juror = evaluation.member.user
    defi = Defi.objects.filter(call__jury=jury).order_by("pk").first()

    def url(name, *args):
        return reverse(f"jury:{name}", args=args)

    return [
        ("sélection (index)", url("selection_index"), staff),
        ("jury (vue d'ensemble)", url("selection_jury", jury.pk), staff),
        ("affectation", url("selection_assignment", jury.pk), staff),
        ("classement", url("selection_ranking", jury.pk), staff),
        ("classement normalisé", url("selection_ranking", jury.pk) + "?tri=normalised", staff),
        ("classement CSV", url("selection_ranking_csv", jury.pk), staff),
        ("classement XLSX", url("selection_ranking_xlsx", jury.pk), staff),
        ("évaluations d'un défi", url("selection_dossier", jury.pk, defi.pk), staff),
        ("présélection", url("selection_shortlist", jury.pk), staff),
        ("auditions", url("selection_hearings", jury.pk), staff),
        ("délibération", url("selection_deliberation", jury.pk), staff),
        ("juré : tableau de bord", url("dashboard"), juror),
        ("juré : évaluation", url("evaluation_detail", DEFI_JURY.key, evaluation.pk), juror),
        ("juré : conflits", url("conflicts", jury.pk), juror),
    ]


def _counts(client, size: int, settings) -> dict[str, int]:
    # The cache off, as in the bench: the queries of a computed page.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    jury, staff = _jury_at(size)
    counts = {}
    for name, path, user in _pages(jury, staff):
        client.force_login(user)
        client.get(path)  # the session and the user as a browsing person has them
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, name
        counts[name] = len(captured.captured_queries)
    return counts


def test_every_jury_page_runs_the_same_few_queries_at_two_sizes(client, settings):
    small = _counts(client, SMALL, settings)
    large = _counts(client, LARGE, settings)

    assert large == small
    assert {name: count for name, count in large.items() if count > MAX_QUERIES} == {}


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_ranking_page_stays_under_the_query_target(
    client, settings, django_assert_max_num_queries, size
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    jury, staff = _jury_at(size)
    client.force_login(staff)
    path = reverse("jury:selection_ranking", args=[jury.pk])

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(path, {"tri": "normalised"})

    assert response.status_code == 200
