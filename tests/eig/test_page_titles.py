"""Every page has its own <title>: more than the site's name, and not another page's."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from candidates import services as candidate_services
from candidates.models import Application
from eig.jury import services
from funding.models import Convention
from funding.services.preparation import conventions_prepare_for_promotion
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation
from tests.factories import (
    AgentFactory,
    CandidateCallFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    DefiFactory,
    JurorFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    fill_defi,
    funded_promotion,
    jury_for_call,
    ministry,
    selected_defi,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

SITE = "Entrepreneurs d’intérêt général"


def _title(client, url):
    response = client.get(url)
    assert response.status_code in (200, 403, 404), (url, response.status_code)
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert found, url
    return " ".join(html.unescape(found.group(1)).split())


@pytest.fixture
def world():
    open_call = ProjectCallFactory(title="Appel à défis 2027")
    public = fill_defi(DefiFactory(state=Defi.State.SELECTED, title="Défi retenu et publié"))

    promotion = funded_promotion("6", envelope=Decimal("100000.00"), name="Promotion 6")
    culture = ministry(name="Ministère de la Culture", budget_programme="361")
    agent = AgentFactory(administration=culture)
    selected_defi(promotion, culture, title="Gallica augmentée", owner=agent)
    draft = fill_defi(DefiFactory(owner=agent, administration=culture, title="Brouillon"))
    staff = StaffFactory()
    conventions_prepare_for_promotion(promotion=promotion, actor=staff)

    closed = ClosedProjectCallFactory()
    jury = jury_for_call(closed, criteria=2, k=1)
    juror = JurorFactory()
    JuryMemberFactory(jury=jury, user=juror)
    scored = submitted_defi(closed, title="Cadastre solaire")
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    candidate_call = CandidateCallFactory(promotion=promotion, title="Appel à candidatures EIG 6")
    candidate = CandidateFactory()
    candidate_services.application_start(call=candidate_call, candidate=candidate)
    pooled = candidate_services.application_start(
        call=candidate_call, candidate=CandidateFactory(first_name="Alix", last_name="Vivier")
    )
    Application.objects.filter(pk=pooled.pk).update(state="admitted")
    return {
        "pooled": pooled,
        "open_call": open_call,
        "candidate_call": candidate_call,
        "candidate": candidate,
        "public": public,
        "promotion": promotion,
        "agent": agent,
        "draft": draft,
        "staff": staff,
        "jury": jury,
        "juror": juror,
        "scored": scored,
        "evaluation": DefiEvaluation.objects.get(member__user=juror),
        "convention": Convention.objects.get(),
    }


def _pages(world):
    draft, jury, scored = world["draft"], world["jury"], world["scored"]
    return {
        None: [
            reverse("projects:home"),
            reverse("projects:catalogue"),
            reverse("projects:catalogue_detail", args=[world["public"].pk]),
            reverse("projects:call_detail", args=[world["open_call"].slug]),
            reverse("candidates:call_list"),
            reverse("candidates:call_detail", args=[world["candidate_call"].slug]),
            reverse("candidates:call_defis", args=[world["candidate_call"].slug]),
            reverse("pages:accessibility"),
            reverse("pages:legal_notice"),
            reverse("pages:privacy"),
            reverse("pages:sitemap"),
            reverse("account_login"),
            reverse("account_signup"),
            reverse("account_reset_password"),
            reverse("account_reset_password_done"),
            reverse("account_reset_password_from_key_done"),
            reverse("account_email_verification_sent"),
            "/page-inexistante/",
        ],
        world["agent"]: [
            reverse("accounts:dashboard"),
            reverse("accounts:profile"),
            reverse("accounts:personal_data"),
            reverse("account_email"),
            reverse("account_change_password"),
            reverse("programme:administration_choose"),
            reverse("programme:administration_members", args=[world["agent"].administration_id]),
            reverse("mfa_index"),
            reverse("projects:my_defis"),
            reverse("projects:defi_start", args=[world["open_call"].slug]),
            reverse("projects:defi_detail", args=[draft.pk]),
            reverse("projects:defi_preview", args=[draft.pk]),
            reverse("projects:defi_section", args=[draft.pk, "contacts"]),
            reverse("projects:defi_section", args=[draft.pk, "contexte"]),
            reverse("funding:my_conventions"),
            reverse("account_logout"),
        ],
        world["candidate"]: [
            reverse("candidates:application", args=[world["candidate_call"].slug]),
            reverse(
                "candidates:application_section", args=[world["candidate_call"].slug, "motivation"]
            ),
            reverse("candidates:application_wishes", args=[world["candidate_call"].slug]),
            reverse("candidates:pool_reconsent", args=[world["candidate_call"].slug]),
            reverse("candidates:application_interview", args=[world["candidate_call"].slug]),
        ],
        world["juror"]: [
            reverse("jury:dashboard"),
            reverse("jury:evaluation_detail", args=["defis", world["evaluation"].pk]),
            reverse("jury:conflicts", args=[jury.pk]),
        ],
        world["staff"]: [
            reverse("jury:selection_index"),
            reverse("jury:selection_jury", args=[jury.pk]),
            reverse("jury:selection_assignment", args=[jury.pk]),
            reverse("jury:selection_ranking", args=[jury.pk]),
            reverse("jury:selection_dossier", args=[jury.pk, scored.pk]),
            reverse("jury:selection_shortlist", args=[jury.pk]),
            reverse("jury:selection_hearings", args=[jury.pk]),
            reverse("jury:selection_group_create", args=[jury.pk]),
            reverse("jury:selection_deliberation", args=[jury.pk]),
            reverse("candidates:pool"),
            reverse("candidates:pool_dossier", args=[world["pooled"].pk]),
            reverse("candidates:staff_application", args=[world["pooled"].pk]),
            reverse("funding:budget_index"),
            reverse("funding:budget", args=[world["promotion"].pk]),
            reverse("funding:convention_detail", args=[world["convention"].pk]),
        ],
    }


def test_every_page_has_its_own_title(client, world):
    titles = {}
    for user, urls in _pages(world).items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for url in urls:
            titles[url] = _title(client, url)

    vague = {url: title for url, title in titles.items() if not title.endswith(f" – {SITE}")}
    assert vague == {}
    shared = {
        title: [url for url, other in titles.items() if other == title]
        for title in set(titles.values())
    }
    assert {title: urls for title, urls in shared.items() if len(urls) > 1} == {}
