"""Applications: the candidate's journey, its deadline, bad input, wishes and withdrawal."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from candidates import services
from candidates.models import Application, Wish
from candidates.sections import SECTIONS_BY_KEY
from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.selectors import history_for
from eig.programme.models import Specialty
from projects.models import DefiPosition
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateCallFactory,
    CandidateFactory,
    PromotionFactory,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)
COMPLETE = {
    "presentation": {"presentation": "Développeuse depuis huit ans."},
    "competences": {
        "specialty": Specialty.DEVELOPMENT,
        "skills_main": "Python, Django",
        "skills_secondary": "Cartographie",
    },
    "experience": {
        "years_experience": 8,
        "experience_specialty": "Huit ans dans des équipes produit.",
        "experience_entrepreneurship": "Une association fondée en 2019.",
    },
    "motivation": {"motivation": "Servir l'intérêt général."},
    "informations": {
        "civility": Application.Civility.UNSAID,
        "phone": "06 12 34 56 78",
        "birth_year": 1990,
        "mobility": Application.Mobility.FRANCE,
        "available_on": datetime.date(2027, 9, 1),
        "talent_pool_consent": True,
    },
}


def _positions(call, count=4, specialty=Specialty.DEVELOPMENT, prefix="Défi"):
    """`count` positions seeking `specialty` in the selected défis of the call's promotion."""
    positions = []
    for number in range(count):
        defi = selected_defi(
            call.promotion, AdministrationFactory(), positions=0, title=f"{prefix} {number}"
        )
        positions.append(
            DefiPosition.objects.create(defi=defi, rank=1, specialty=specialty, missions="M")
        )
    return positions


def _cv(name="cv.pdf", pages=1):
    return SimpleUploadedFile(name, pdf_bytes(pages), content_type="application/pdf")


def _complete(application, candidate, positions):
    for key, data in COMPLETE.items():
        services.application_update_section(
            application=application, actor=candidate, section=SECTIONS_BY_KEY[key], data=data
        )
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["presentation"],
        data={"cv": _cv()},
    )
    services.application_set_wishes(
        application=application, actor=candidate, position_ids=[p.pk for p in positions[:3]]
    )


# --- Services -----------------------------------------------------------------------------


def test_the_whole_application_from_draft_to_submission(django_capture_on_commit_callbacks):
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, actor=candidate)

    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED
    assert len(application.cv_checksum) == 64
    assert [w.position_id for w in application.wishes.order_by("rank")] == [
        p.pk for p in positions[:3]
    ]
    assert [(e.action, e.to_state) for e in history_for(application)] == [
        (Application.Action.CREATED, Application.State.DRAFT),
        (Application.Action.WISHES_SET, ""),
        (Application.Action.SUBMITTED, Application.State.SUBMITTED),
    ]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [candidate.email]
    assert str(call) in mail.outbox[0].subject


def test_one_application_per_person_and_call():
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    first = services.application_start(call=call, candidate=candidate)
    assert services.application_start(call=call, candidate=candidate) == first
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(call=call, candidate=candidate)
    # Another call, another application.
    assert services.application_start(call=CandidateCallFactory(), candidate=candidate) != first


def test_only_candidates_apply():
    with pytest.raises(DomainError) as error:
        services.application_start(call=CandidateCallFactory(), candidate=AgentFactory())
    assert error.value.code == "not_candidate"


def test_the_deadline_before_at_and_after_in_server_time():
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    with pytest.raises(DeadlinePassed):
        services.application_start(call=call, candidate=candidate, now=call.opens_at - SECOND)
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    # At the closing instant the call is closed: nothing is stored.
    with pytest.raises(DeadlinePassed) as error:
        services.application_submit(application=application, actor=candidate, now=call.closes_at)
    assert "heure de Paris" in error.value.message
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT
    services.application_submit(
        application=application, actor=candidate, now=call.closes_at - SECOND
    )
    application.refresh_from_db()
    assert application.state == Application.State.SUBMITTED


def test_a_draft_cannot_be_saved_after_the_closing():
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    with pytest.raises(DeadlinePassed):
        services.application_update_section(
            application=application,
            actor=candidate,
            section=SECTIONS_BY_KEY["motivation"],
            data={"motivation": "Trop tard"},
            now=call.closes_at + SECOND,
        )
    application.refresh_from_db()
    assert application.motivation == ""


def test_an_incomplete_application_says_what_it_lacks():
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    with pytest.raises(IncompleteDossier) as error:
        services.application_submit(application=application, actor=candidate)
    assert any("CV" in item for item in error.value.missing)
    assert any("vœux" in item for item in error.value.missing)


def test_someone_else_cannot_touch_an_application():
    call = CandidateCallFactory()
    application = services.application_start(call=call, candidate=CandidateFactory())
    other = CandidateFactory()
    with pytest.raises(DomainError):
        services.application_update_section(
            application=application,
            actor=other,
            section=SECTIONS_BY_KEY["motivation"],
            data={"motivation": "Piraté"},
        )
    with pytest.raises(DomainError):
        services.application_withdraw(application=application, actor=other)


@pytest.mark.parametrize(
    ("picks", "code"),
    [
        (lambda p: [p[0].pk, p[1].pk], "count"),
        (lambda p: [p[0].pk, p[1].pk, p[2].pk, p[3].pk, p[4].pk, p[5].pk], "count"),
        (lambda p: [p[0].pk, p[0].pk, p[1].pk], "twice"),
    ],
)
def test_wishes_are_three_to_five_distinct_positions(picks, code):
    call = CandidateCallFactory()
    positions = _positions(call, count=6)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["competences"],
        data=COMPLETE["competences"],
    )
    with pytest.raises(DomainError) as error:
        services.application_set_wishes(
            application=application, actor=candidate, position_ids=picks(positions)
        )
    assert error.value.code == code
    assert not Wish.objects.exists()


def test_a_wish_outside_the_specialty_or_the_call_is_refused():
    call = CandidateCallFactory()
    mine = _positions(call, count=3)
    design = _positions(call, count=1, specialty=Specialty.DESIGN)
    elsewhere = _positions(CandidateCallFactory(promotion=PromotionFactory()), count=1)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["competences"],
        data=COMPLETE["competences"],
    )
    for intruder, code in ((design[0], "specialty"), (elsewhere[0], "unknown")):
        with pytest.raises(DomainError) as error:
            services.application_set_wishes(
                application=application,
                actor=candidate,
                position_ids=[mine[0].pk, mine[1].pk, intruder.pk],
            )
        assert error.value.code == code


def test_wishes_of_a_call_that_asks_them_later_are_refused_with_the_application():
    now = datetime.datetime.now(datetime.UTC)
    call = CandidateCallFactory(
        wishes_timing="after_preselection", wishes_closes_at=now + datetime.timedelta(days=60)
    )
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    with pytest.raises(DomainError) as error:
        services.application_set_wishes(
            application=application, actor=candidate, position_ids=[1, 2, 3]
        )
    assert error.value.code == "wishes_later"
    # Without wishes to give, the application is complete without them.
    assert "voeux" not in services.application_missing(application)


def test_withdrawing_a_wish_keeps_the_others_and_says_so(django_capture_on_commit_callbacks):
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    first = application.wishes.get(rank=1)
    with pytest.raises(InvalidTransition):  # a draft ranks its wishes again instead
        services.wish_withdraw(wish=first, actor=candidate)
    services.application_submit(application=application, actor=candidate)
    services.wish_withdraw(wish=first, actor=candidate)
    assert list(
        application.wishes.filter(withdrawn_at__isnull=True).values_list("rank", flat=True)
    ) == [2, 3]
    assert history_for(application).last().action == Application.Action.WISH_WITHDRAWN
    with pytest.raises(InvalidTransition):
        services.wish_withdraw(wish=first, actor=candidate)


def test_withdrawing_the_application_at_any_time(django_capture_on_commit_callbacks):
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_withdraw(
            application=application, actor=candidate, note="Un autre poste"
        )
    application.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN
    assert history_for(application).last().note == "Un autre poste"
    assert "retirée" in mail.outbox[0].subject
    with pytest.raises(InvalidTransition):
        services.application_withdraw(application=application, actor=candidate)
    with pytest.raises(InvalidTransition):
        services.application_update_section(
            application=application,
            actor=candidate,
            section=SECTIONS_BY_KEY["motivation"],
            data={"motivation": "Encore"},
        )


def test_submitting_and_withdrawing_without_notify_mail_nobody(
    django_capture_on_commit_callbacks,
):
    # The demo's invented candidates: their history is written, no mail leaves.
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)

    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application=application, actor=candidate, notify=False)
        services.application_withdraw(application=application, actor=candidate, notify=False)

    application.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN
    assert list(history_for(application).values_list("to_state", flat=True)) == [
        "draft",
        "",
        "submitted",
        "withdrawn",
    ]
    assert mail.outbox == []


# --- Pages --------------------------------------------------------------------------------


def _url(name, call, *args):
    return reverse(f"candidates:{name}", args=[call.slug, *args])


def test_the_journey_through_the_pages(client, django_capture_on_commit_callbacks):
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    client.force_login(candidate)

    assert "Commencer ma candidature" in client.get(_url("application", call)).content.decode()
    response = client.post(_url("application_start", call))
    assert response.url == _url("application_section", call, "presentation")

    response = client.post(
        _url("application_section", call, "presentation"),
        {"presentation": "Développeuse.", "cv": _cv(), "save_continue": "1"},
    )
    assert response.url == _url("application_section", call, "competences")
    for key in ("competences", "experience", "motivation"):
        data = {k: v for k, v in COMPLETE[key].items() if v is not None}
        response = client.post(
            _url("application_section", call, key), {**data, "save_continue": "1"}
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == _url("application_section", call, "voeux")
    response = client.post(
        _url("application_wishes", call),
        {
            "voeu_1": positions[2].pk,
            "voeu_2": positions[0].pk,
            "voeu_3": positions[1].pk,
            "save_continue": "1",
        },
    )
    assert response.url == _url("application_section", call, "informations")
    data = {**COMPLETE["informations"], "available_on": "2027-09-01", "talent_pool_consent": "on"}
    response = client.post(_url("application_section", call, "informations"), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    page = client.get(_url("application", call)).content.decode()
    assert "À compléter" not in page and "Déposer ma candidature" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("application_submit", call), follow=True)
    assert "Votre candidature est déposée" in response.content.decode()
    application = Application.objects.get()
    assert application.state == Application.State.SUBMITTED
    assert application.wishes.get(rank=1).position == positions[2]
    assert len(mail.outbox) == 1


def test_bad_input_gets_french_messages_and_loses_nothing(client):
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    client.force_login(candidate)
    application = services.application_start(call=call, candidate=candidate)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["presentation"],
        data={"presentation": "Gardée", "cv": _cv()},
    )
    saved_checksum = Application.objects.get().cv_checksum
    url = _url("application_section", call, "presentation")
    cases = [
        (
            {"cv": SimpleUploadedFile("cv.pdf", b"MZ not a pdf", content_type="application/pdf")},
            "pas un PDF",
        ),
        ({"cv": _cv(pages=7)}, "pages"),
        ({"presentation": "x" * 1501}, "1500"),
        ({"presentation": "Bonjour\x00"}, "caractère"),
        ({"github_url": "https://evil.example/user"}, "github.com"),
        ({"linkedin_url": "http://linkedin.com/in/x"}, "linkedin.com"),
    ]
    for data, message in cases:
        response = client.post(url, {"presentation": "Nouvelle", **data})
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    application.refresh_from_db()
    assert application.presentation == "Gardée"
    assert application.cv_checksum == saved_checksum

    response = client.post(
        _url("application_section", call, "informations"), {"phone": "abc", "birth_year": "1800"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "numéro de téléphone" in content


def test_the_wishes_form_refuses_duplicates_gaps_and_other_specialties(client):
    call = CandidateCallFactory()
    positions = _positions(call)
    design = _positions(call, count=1, specialty=Specialty.DESIGN, prefix="Design")
    candidate = CandidateFactory()
    client.force_login(candidate)
    application = services.application_start(call=call, candidate=candidate)
    services.application_update_section(
        application=application,
        actor=candidate,
        section=SECTIONS_BY_KEY["competences"],
        data=COMPLETE["competences"],
    )
    url = _url("application_wishes", call)
    page = client.get(url).content.decode()
    assert "Défi 0" in page and str(design[0].defi) not in page
    p = positions
    for data, message in [
        ({"voeu_1": p[0].pk, "voeu_2": p[0].pk, "voeu_3": p[1].pk}, "qu&#x27;une fois"),
        ({"voeu_1": p[0].pk, "voeu_2": p[1].pk, "voeu_3": p[2].pk, "voeu_5": p[3].pk}, "rang vide"),
        (
            {"voeu_1": p[0].pk, "voeu_2": p[1].pk, "voeu_3": design[0].pk},
            "pas proposé pour votre métier",
        ),
        ({"voeu_1": p[0].pk}, "Choisissez un poste"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), data
    assert not Wish.objects.exists()


def test_who_reaches_the_application_pages(client):
    call = CandidateCallFactory()
    application = services.application_start(call=call, candidate=CandidateFactory())
    url = _url("application", call)
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(AgentFactory())
    assert client.get(url).status_code == 403
    # Another candidate has no application here: their page offers to start one, and the
    # section pages of the first one do not exist for them.
    client.force_login(CandidateFactory())
    assert "Commencer ma candidature" in client.get(url).content.decode()
    assert client.get(_url("application_section", call, "motivation")).status_code == 404
    wish_url = _url("wish_withdraw", call, 1)
    assert client.post(wish_url).status_code == 404
    assert application.state == Application.State.DRAFT


def test_withdrawing_asks_to_confirm_first(client):
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    client.force_login(candidate)
    application = services.application_start(call=call, candidate=candidate)
    url = _url("application_withdraw", call)
    response = client.post(url, {"note": "Un autre poste"})
    assert response.status_code == 200
    assert "Confirmer le retrait de ma candidature" in response.content.decode()
    application.refresh_from_db()
    assert application.state == Application.State.DRAFT
    client.post(url, {"note": "Un autre poste", "confirm": "1"})
    application.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN


def test_a_closed_call_shows_the_application_read_only(client):
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    client.force_login(candidate)
    services.application_start(call=call, candidate=candidate)
    type(call).objects.filter(pk=call.pk).update(closes_at=call.opens_at + SECOND)
    page = client.get(_url("application_section", call, "motivation")).content.decode()
    assert "plus modifiable" in page and "<textarea" not in page
    response = client.post(_url("application_section", call, "motivation"), {"motivation": "Tard"})
    assert response.status_code == 302
    assert Application.objects.get().motivation == ""


def test_the_application_page_reads_a_constant_number_of_queries(client):
    counts = []
    for wishes in (3, 5):
        call = CandidateCallFactory()
        positions = _positions(call, count=wishes, prefix=f"Défi {wishes}")
        candidate = CandidateFactory()
        application = services.application_start(call=call, candidate=candidate)
        services.application_update_section(
            application=application,
            actor=candidate,
            section=SECTIONS_BY_KEY["competences"],
            data=COMPLETE["competences"],
        )
        services.application_set_wishes(
            application=application, actor=candidate, position_ids=[p.pk for p in positions]
        )
        client.force_login(candidate)
        for name in ("application", "application_wishes"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(_url(name, call)).status_code == 200
            counts.append((name, len(captured.captured_queries)))
    assert counts[:2] == counts[2:]


def test_the_personal_space_shows_the_draft_to_submit_and_the_applications(client):
    call = CandidateCallFactory(title="Appel à candidatures EIG 9")
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    client.force_login(candidate)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "1 candidature à déposer" in page
    assert _url("application", call) in page
    assert "Appel à candidatures EIG 9" in page and "Brouillon" in page

    _complete(application, candidate, positions)
    services.application_submit(application=application, actor=candidate)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "candidature à déposer" not in page
    assert "Déposée" in page


def test_the_personal_data_export_holds_the_applications(client):
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    from eig.accounts.personal_data import user_personal_data

    exported = user_personal_data(candidate)["candidatures"]
    assert len(exported) == 1
    assert exported[0]["motivation"] == "Servir l'intérêt général."
    assert exported[0]["cv"].endswith(".pdf")
    assert [wish["rang"] for wish in exported[0]["voeux"]] == [1, 2, 3]
    assert exported[0]["historique"][0]["action"] == Application.Action.CREATED


def test_deleting_the_account_anonymises_the_applications(django_capture_on_commit_callbacks):
    call = CandidateCallFactory()
    positions = _positions(call)
    candidate = CandidateFactory()
    application = services.application_start(call=call, candidate=candidate)
    _complete(application, candidate, positions)
    services.application_submit(application=application, actor=candidate)
    application.refresh_from_db()
    storage, cv_name = application.cv.storage, application.cv.name
    assert storage.exists(cv_name)
    from eig.accounts.services import user_erase

    with django_capture_on_commit_callbacks(execute=True):
        user_erase(user=candidate)

    application.refresh_from_db()
    assert application.candidate_id is None
    assert application.state == Application.State.SUBMITTED  # kept for the statistics
    assert application.specialty == Specialty.DEVELOPMENT and application.years_experience == 8
    assert application.motivation == "" and application.phone == "" and not application.cv
    assert application.birth_year is None
    assert not storage.exists(cv_name)
    assert application.wishes.count() == 3
    assert history_for(application).last().action == Application.Action.ANONYMISED
    assert "anonymisée" in str(application)


def test_saving_the_presentation_again_keeps_the_cv_as_it_was(client):
    call = CandidateCallFactory()
    candidate = CandidateFactory()
    client.force_login(candidate)
    services.application_start(call=call, candidate=candidate)
    url = _url("application_section", call, "presentation")
    client.post(url, {"presentation": "Première", "cv": _cv(name="mon-cv.pdf")})
    first = Application.objects.get()
    response = client.post(url, {"presentation": "Seconde"})
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.presentation == "Seconde"
    assert (application.cv.name, application.cv_checksum, application.cv_filename) == (
        first.cv.name,
        first.cv_checksum,
        "mon-cv.pdf",
    )
