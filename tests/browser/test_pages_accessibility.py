"""axe-core on the pages the agent journey does not walk through."""

import pytest
from django.urls import reverse

from eig.programme.models import FaqEntry
from projects.models import Defi, DefiInvitation
from tests.browser.login import enter_totp_code
from tests.factories import (
    PASSWORD,
    AgentFactory,
    CandidateCallFactory,
    DefiFactory,
    StaffFactory,
    fill_defi,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = [
    ("projects:home", []),
    ("projects:catalogue", []),
    ("candidates:call_list", []),
    ("pages:accessibility", []),
    ("pages:legal_notice", []),
    ("pages:privacy", []),
    ("pages:sitemap", []),
    ("account_login", []),
    ("account_signup", []),
    ("account_reset_password", []),
]


def test_public_pages_pass_axe(live_server, page, axe):
    selected = fill_defi(DefiFactory(state=Defi.State.SELECTED, title="Défi retenu"))
    candidate_call = CandidateCallFactory(promotion=selected.call.promotion, anonymous=True)
    FaqEntry.objects.create(
        audience=FaqEntry.Audience.CANDIDATES,
        question="Qui peut devenir EIG ?",
        answer_html="<p>Toute personne <strong>majeure</strong>.</p><ul><li>un</li></ul>",
    )

    pages = [reverse(name, args=args) for name, args in PUBLIC_PAGES]
    pages += [
        reverse("projects:catalogue_detail", args=[selected.pk]),
        reverse("projects:call_detail", args=[selected.call.slug]),
        reverse("candidates:call_detail", args=[candidate_call.slug]),
        reverse("candidates:call_defis", args=[candidate_call.slug]),
        "/page-inexistante/",
    ]
    for path in pages:
        page.goto(live_server.url + path)
        axe(page)

    assert len(axe.visited) == len(pages)


def test_personal_pages_pass_axe(live_server, page, axe):
    agent = AgentFactory()
    defi = fill_defi(DefiFactory(owner=agent, administration=agent.administration))
    page.goto(live_server.url + reverse("account_login"))
    page.fill("main [name=login]", agent.email)
    page.fill("main [name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()

    for path in [
        reverse("accounts:dashboard"),
        reverse("accounts:profile"),
        reverse("accounts:personal_data"),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("programme:administration_choose"),
        reverse("programme:administration_members", args=[agent.administration_id]),
        reverse("projects:my_defis"),
        reverse("projects:defi_detail", args=[defi.pk]),
        reverse("projects:defi_preview", args=[defi.pk]),
        reverse("projects:defi_section", args=[defi.pk, "contacts"]),
    ]:
        page.goto(live_server.url + path)
        axe(page)

    # An invitation to co-edit another défi of the administration.
    other = DefiFactory(administration=agent.administration)
    invitation = DefiInvitation.objects.create(
        defi=other, email=agent.email, invited_by=other.owner
    )
    page.goto(live_server.url + reverse("projects:invitation_accept", args=[invitation.token]))
    axe(page)

    # A section refused for bad input: the error summary and the field errors.
    page.goto(live_server.url + reverse("projects:defi_section", args=[defi.pk, "contacts"]))
    page.fill("main [name=porteur_email]", "pas-une-adresse")
    page.locator("main button[name=save]").click()
    page.wait_for_load_state()
    assert "Saisissez une adresse e-mail valide" in page.content()
    axe(page)


def test_forbidden_page_passes_axe(live_server, page, axe):
    staff = StaffFactory(email="equipe@exemple.gouv.fr")
    defi = DefiFactory()
    page.goto(live_server.url + reverse("account_login"))
    page.fill("main [name=login]", staff.email)
    page.fill("main [name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    enter_totp_code(page, staff)
    page.wait_for_load_state()

    response = page.goto(
        live_server.url + reverse("projects:defi_section", args=[defi.pk, "contexte"])
    )

    assert response.status == 403
    axe(page)
