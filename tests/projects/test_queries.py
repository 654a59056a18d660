"""Every list page's query count is the same for 1 row and for 3 rows."""

import pytest
from django.urls import reverse

from projects.models import Defi, DefiInvitation
from tests.factories import DefiFactory, ProjectCallFactory, StaffFactory, fill_defi

pytestmark = pytest.mark.django_db

# user (the session is read from the cache), then the page's own reads (see each selector).
QUERIES_MY_DEFIS = 6
# The count and the page of défis, the site settings (twice: no row), the promotions of the
# filter (listed once: the options are written without counting them first), the positions.
QUERIES_CATALOGUE = 6
QUERIES_HOME = 5
QUERIES_DEFI_DETAIL = 10  # + the promotion's funding rule, for the simulation
QUERIES_ADMIN_DEFIS = 8


def _agent_with_defis(count):
    first = DefiFactory()
    for _ in range(count - 1):
        other = DefiFactory(owner=first.owner, administration=first.administration)
        other.collaborators.add(StaffFactory())
    return first.owner


@pytest.mark.parametrize("rows", [1, 3])
def test_my_defis_query_count(client, django_assert_num_queries, rows):
    client.force_login(_agent_with_defis(rows))
    ProjectCallFactory.create_batch(rows)

    with django_assert_num_queries(QUERIES_MY_DEFIS):
        response = client.get(reverse("projects:my_defis"))

    assert len(response.context["defis"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_catalogue_query_count(client, django_assert_num_queries, rows):
    for _ in range(rows):
        fill_defi(DefiFactory(state=Defi.State.SELECTED), pitch_deck=False)

    with django_assert_num_queries(QUERIES_CATALOGUE):
        response = client.get(reverse("projects:catalogue"))

    assert len(response.context["page_obj"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_home_query_count(client, django_assert_num_queries, rows):
    ProjectCallFactory.create_batch(rows)

    with django_assert_num_queries(QUERIES_HOME):
        response = client.get(reverse("projects:home"))

    assert len(response.context["open_calls"]) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_defi_detail_query_count(client, django_assert_num_queries, rows):
    defi = fill_defi(DefiFactory(), positions=min(rows, 3), pitch_deck=False)
    for index in range(rows):
        defi.collaborators.add(StaffFactory())
        DefiInvitation.objects.create(
            defi=defi, email=f"invite{index}@exemple.gouv.fr", invited_by=defi.owner
        )
    client.force_login(defi.owner)

    with django_assert_num_queries(QUERIES_DEFI_DETAIL):
        client.get(reverse("projects:defi_detail", args=[defi.pk]))


@pytest.mark.parametrize("rows", [1, 3])
def test_admin_defi_changelist_query_count(client, django_assert_num_queries, rows):
    DefiFactory.create_batch(rows)
    client.force_login(StaffFactory())

    with django_assert_num_queries(QUERIES_ADMIN_DEFIS):
        response = client.get(reverse("admin:projects_defi_changelist"))

    assert response.context["cl"].result_count == rows
