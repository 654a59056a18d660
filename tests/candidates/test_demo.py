"""The candidates' side of the demo (`candidates/demo.py`, run by `manage.py load_demo`): a
closed session whose invented applicants went through the services, its jury at work, its
interview slots, and the jurors' accounts."""

import datetime
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from candidates.demo import (
    DRAFTS,
    JURORS,
    PRESELECTED,
    SESSION_SLUG,
    WAITING_PER_JUROR,
    WITHDRAWN,
    _data,
    demo_applicants,
)
from candidates.models import (
    Application,
    ApplicationEvaluation,
    ApplicationReview,
    CandidateCall,
    Wish,
)
from candidates.selectors import application_possible_duplicates, applications_with_duplicate_flag
from eig.accounts.models import Role, User
from eig.history.models import Event
from eig.history.selectors import history_for
from eig.jury.models import HearingSlot
from eig.programme.models import Specialty
from eig.text import fold
from projects.management.commands.load_demo import ACCOUNTS, PASSWORD
from projects.management.commands.load_reference import default_reference_dir

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SPECIALTIES = {
    Specialty.DEVELOPMENT: 16,
    Specialty.DESIGN: 13,
    Specialty.DATA_SCIENCE: 12,
    Specialty.DATA_ENGINEERING: 7,
}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    # The mails queued on commit are sent, so that a mail to an invented person would show.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=io.StringIO())
    return CandidateCall.objects.select_related("jury").get(slug=SESSION_SLUG)


# --- The invented applicants ----------------------------------------------------------------


def test_demo_applicants_are_the_same_at_every_run():
    assert demo_applicants(2026) == demo_applicants(2026)


def test_demo_applicants_spread_over_the_metiers_with_two_second_accounts():
    applicants = demo_applicants(2026)

    # Each métier's count, then two people who applied from a second account.
    assert Counter(a.specialty for a in applicants[:-2]) == SPECIALTIES
    assert len({a.email for a in applicants}) == len(applicants) == 50
    assert all(a.email.endswith("@example.org") for a in applicants)
    assert Counter(a.fate for a in applicants) == {
        "submitted": 50 - DRAFTS - WITHDRAWN,
        "draft": DRAFTS,
        "withdrawn": WITHDRAWN,
    }


def test_demo_applicants_texts_fit_the_form_and_read_as_written():
    limits = {
        name: Application._meta.get_field(name).validators[0].limit_value
        for name in (
            "presentation",
            "skills_main",
            "skills_secondary",
            "experience_specialty",
            "experience_entrepreneurship",
            "motivation",
        )
    }
    applicants = demo_applicants(2026)

    for applicant in applicants:
        for name, text in applicant.texts.items():
            assert len(text) <= limits[name], (applicant.email, name)
            # Every placeholder filled, no agreement left hanging.
            assert not re.search(r"[{}]", text), text
        assert applicant.first_name not in " ".join(applicant.texts.values())
        low, high = _data()["specialties"][applicant.specialty]["years"]
        assert low <= applicant.years <= high
    # Varied: few applications share their motivation or their experience.
    assert len({a.texts["motivation"] for a in applicants}) > 30
    assert (
        len({(a.texts["experience_specialty"], a.texts["presentation"]) for a in applicants}) > 30
    )


def test_demo_applicants_are_never_people_of_the_reference_files():
    reference = default_reference_dir()
    if not reference.is_dir():
        pytest.skip("Les fichiers de référence (EIG_REFERENCE_DIR) sont absents.")
    text = fold(" ".join(path.read_text(encoding="utf-8") for path in reference.glob("*.json")))
    names = {fold(f"{a.first_name} {a.last_name}") for a in demo_applicants(2026)}
    names |= {fold(f"{account.first_name} {account.last_name}") for account in ACCOUNTS}

    assert {name for name in names if name in text} == set()


# --- The closed session ---------------------------------------------------------------------


def test_load_demo_candidate_session_is_closed_with_applications_across_metiers(demo):
    call = demo
    applications = call.applications.select_related("candidate")
    now = timezone.now()

    assert call.is_open() is False and call.closes_at < now
    assert call.anonymous and call.promotion.code == "8"
    # The demo candidate still applies to the open call.
    assert CandidateCall.objects.get(slug="aac-eig-8").is_open()
    assert Counter(applications.values_list("state", flat=True)) == {
        "draft": DRAFTS,
        "withdrawn": WITHDRAWN,
        "submitted": 50 - DRAFTS - WITHDRAWN - sum(PRESELECTED.values()),
        "preselected": sum(PRESELECTED.values()),
    }
    in_jury = applications.exclude(state__in=["draft", "withdrawn"])
    assert set(in_jury.values_list("specialty", flat=True)) == set(SPECIALTIES)
    assert min(Counter(in_jury.values_list("specialty", flat=True)).values()) >= 4
    for application in applications.exclude(state="draft"):
        wishes = list(application.wishes.select_related("position"))
        assert 3 <= len(wishes) <= 5
        assert {wish.position.specialty for wish in wishes} == {application.specialty}
        assert call.opens_at < application.submitted_at < call.closes_at
        assert application.cv.read(5) == b"%PDF-"
        assert application.cv_anonymised.read(5) == b"%PDF-"
        assert application.search.document
        assert application.created_at <= application.submitted_at
        actions = list(history_for(application).values_list("action", flat=True))
        assert actions[:3] == ["created", "wishes_set", "submitted"]
    # Drafts have their first sections only; talent-pool consent is mixed.
    assert set(applications.filter(state="draft").values_list("motivation", flat=True)) == {""}
    assert set(in_jury.values_list("talent_pool_consent", flat=True)) == {True, False}
    # Accounts of candidates nobody logs in as.
    candidates = User.objects.filter(applications__call=call)
    assert all(user.roles == [Role.CANDIDATE] for user in candidates)
    assert not any(user.has_usable_password() for user in candidates)
    # Nobody invented is mailed: the only mails are the défi side's.
    assert not [m for m in mail.outbox if any("example.org" in to for to in m.to)]


def test_load_demo_candidate_session_flags_possible_duplicates(demo):
    flagged = applications_with_duplicate_flag(demo.applications.all()).filter(
        possible_duplicate=True
    )

    assert flagged.count() == 4
    reasons = {
        reason
        for application in flagged
        for _other, why in application_possible_duplicates(application)
        for reason in why
    }
    assert reasons == {"même CV", "même téléphone", "même nom et même année de naissance"}


def test_load_demo_candidate_jury_is_at_work(demo, client):
    jury = demo.jury
    evaluations = ApplicationEvaluation.objects.filter(member__jury=jury)
    in_jury = demo.applications.exclude(state__in=["draft", "withdrawn"])

    assert jury.criteria.count() == 2 and jury.is_scoring_open()
    assert evaluations.count() == 2 * in_jury.count()
    waiting = Counter(
        evaluations.exclude(state="submitted").values_list("member__user__email", flat=True)
    )
    assert waiting == dict.fromkeys(JURORS, WAITING_PER_JUROR)
    # Assignment by métier: every application has one juror of its métier.
    for application in in_jury:
        expertise = {
            specialty
            for member_expertise in evaluations.filter(application=application).values_list(
                "member__expertise", flat=True
            )
            for specialty in member_expertise
        }
        assert application.specialty in expertise
    # The pre-selected are the best ranked of their métier, every evaluation submitted.
    preselected = in_jury.filter(state="preselected")
    assert Counter(preselected.values_list("specialty", flat=True)) == PRESELECTED
    assert not evaluations.filter(application__in=preselected).exclude(state="submitted")

    client.post(
        reverse("account_login"),
        {"login": "jure.candidatures@demo.eig.fr", "password": PASSWORD},
    )
    dashboard = client.get(reverse("jury:dashboard")).content.decode()
    assert "Jury des candidatures EIG 8 – première session" in dashboard
    assert f"Il vous reste {WAITING_PER_JUROR} évaluations à soumettre" in dashboard


def test_load_demo_candidate_interviews_have_slots_and_one_booking(demo, client):
    jury = demo.jury
    slots = list(jury.slots.select_related("group"))
    booked = ApplicationReview.objects.filter(jury=jury, slot__isnull=False).select_related(
        "application__candidate", "slot"
    )

    assert len(slots) == 12
    assert all(slot.starts_at > timezone.now() + datetime.timedelta(days=7) for slot in slots)
    assert {slot.booking for slot in slots} == {HearingSlot.Booking.OWNER}
    assert {slot.capacity for slot in slots} == {1}
    assert {bool(slot.location) for slot in slots} == {True, False}
    assert all(bool(slot.location) != bool(slot.video_url) for slot in slots)
    assert {slot.group.name for slot in slots} == {
        "Entretiens développement et données",
        "Entretiens design",
    }
    (review,) = booked
    assert review.application.state == Application.State.PRESELECTED
    assert history_for(review).filter(action="slot_booked").count() == 1

    # The booked candidate sees their slot; another one invited sees the slots to book.
    client.force_login(review.application.candidate)
    url = reverse("candidates:application_interview", args=[SESSION_SLUG])
    assert "Mon créneau" in client.get(url).content.decode()
    invited = demo.applications.filter(state="preselected").exclude(pk=review.application_id)
    client.force_login(invited.first().candidate)
    assert "Choisir un créneau" in client.get(url).content.decode()


def test_load_demo_candidate_selection_pages_can_be_tried(demo, client):
    jury = demo.jury
    client.force_login(User.objects.get(email="staff@demo.eig.fr"))

    for view in ("selection_ranking", "selection_shortlist", "selection_hearings"):
        response = client.get(reverse(f"jury:{view}", args=[jury.pk]))
        assert response.status_code == 200
        assert "indisponible" not in response.content.decode()
    deliberation = client.get(reverse("jury:selection_deliberation", args=[jury.pk]))
    assert "Décider" in deliberation.content.decode()


def test_load_demo_candidate_session_is_built_once():
    call_command("load_demo", stdout=io.StringIO())
    counts = {
        "applications": Application.objects.count(),
        "wishes": Wish.objects.count(),
        "evaluations": ApplicationEvaluation.objects.count(),
        "slots": HearingSlot.objects.count(),
        "users": User.objects.count(),
        "events": Event.objects.count(),
    }

    call_command("load_demo", stdout=io.StringIO())

    assert counts == {
        "applications": Application.objects.count(),
        "wishes": Wish.objects.count(),
        "evaluations": ApplicationEvaluation.objects.count(),
        "slots": HearingSlot.objects.count(),
        "users": User.objects.count(),
        "events": Event.objects.count(),
    }


def test_load_demo_candidate_jurors_log_in_and_are_in_the_readme(client):
    call_command("load_demo", stdout=io.StringIO())
    readme = (ROOT / "README.md").read_text()

    for email in JURORS:
        client.logout()
        response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
    for account in ACCOUNTS:
        assert f"`{account.email}`" in readme
