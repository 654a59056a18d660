"""A NUL byte (or any junk) in a URL answers 404, never a 500: PostgreSQL refuses NUL in a
text parameter, so no URL value may reach a query unchecked."""

import pytest

from tests.factories import AgentFactory, DefiFactory, StaffFactory

pytestmark = pytest.mark.django_db

# Every pattern whose value is a string (not an int or a slug), and the admin's.
URLS = [
    "/espace/invitations/%00/",
    "/espace/invitations/tok%00en/",
    "/comptes/confirm-email/%00/",
    "/comptes/password/reset/key/1-%00/",
    "/appels/%00/",
    "/espace/defis/1/%00/",
]
ADMIN_URLS = [
    "/admin/projects/defi/%00/change/",
    "/admin/accounts/user/%00/change/",
    "/admin/r/1/%00/",
]


@pytest.mark.parametrize("url", URLS)
def test_nul_byte_in_url_is_404(client, url):
    DefiFactory()
    client.force_login(AgentFactory())

    response = client.get(url)

    # allauth answers a bad reset key with its "link expired" page.
    expected = 200 if "/password/reset/" in url else 404
    assert response.status_code == expected


@pytest.mark.parametrize("url", ADMIN_URLS)
def test_nul_byte_in_admin_url_is_not_a_server_error(client, url):
    client.force_login(StaffFactory())

    response = client.get(url)

    assert response.status_code in (302, 404)
