"""Staff pages of pre-selection, hearings and deliberation; the hearing opinion page of the
hearing groups; what the agent sees of their hearing and decision."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from eig.jury import decisions, hearings, shortlist
from eig.jury.models import DecisionRecord, HearingSlot, JuryGroup
from eig.jury.services import jury_aggregates_rebuild
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiConflict, DefiEvaluation, DefiReview, DefiScore
from projects.selectors.defis import defi_review_for_agent
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
State = Defi.State

# user (the session comes from the cache), then each page's reads (see its view).
QUERIES_SHORTLIST = 8
# The hearing group form (every juror of the jury) is on a page of its own.
QUERIES_HEARINGS = 9
QUERIES_GROUP_CREATE = 5
QUERIES_DELIBERATION = 9
# One more than when the page was the défis' own: the engine reads the jury first, to learn
# its domain (which review table to read), since the URL names only the jury and the dossier.
QUERIES_HEARING_RECORD = 8


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def jury():
    return jury_for_call(ClosedProjectCallFactory(), jurors=4)


@pytest.fixture
def staff():
    return StaffFactory()


def shortlisted(jury, staff, questions="Quelles données ?"):
    defi = submitted_defi(jury.project_call)
    shortlist.review_shortlist(
        domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff, questions=questions
    )
    return defi


def group_of(jury, name="Groupe 1", members=2):
    return hearings.jury_group_create(
        jury=jury, name=name, members=list(jury.members.order_by("pk"))[:members]
    )


def slot_for(jury, group, defi, staff, start):
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="DINUM, salle 4.02",
    )
    hearings.review_assign_slot(domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff)
    return slot


def heard(jury, staff, count=1):
    """`count` shortlisted défis heard by one group, one slot each."""
    group = group_of(jury)
    defis = []
    for index in range(count):
        defi = shortlisted(jury, staff)
        slot_for(jury, group, defi, staff, paris(2026, 3, 24, 9 + index, 0))
        defis.append(defi)
    return group, defis


def evaluate(defi, member, values):
    """A submitted evaluation of `defi` by `member`, one value per criterion."""
    evaluation = DefiEvaluation.objects.create(
        defi=defi, member=member, state="submitted", submitted_at=timezone.now()
    )
    DefiScore.objects.bulk_create(
        DefiScore(evaluation=evaluation, criterion=criterion, value=value)
        for criterion, value in zip(member.jury.criteria.order_by("position"), values, strict=True)
    )
    # Written around the services: the stored figures the pages read are rebuilt.
    jury_aggregates_rebuild(domain=DEFI_JURY, jury=member.jury)


def urls(jury, dossier_pk=0):
    return {
        "shortlist": reverse("jury:selection_shortlist", args=[jury.pk]),
        "hearings": reverse("jury:selection_hearings", args=[jury.pk]),
        "deliberation": reverse("jury:selection_deliberation", args=[jury.pk]),
    }


# --- Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["shortlist", "hearings", "deliberation"])
def test_staff_pages_permissions(client, jury, staff, page):
    url = urls(jury)[page]
    juror = jury.members.first().user

    assert client.get(url).status_code == 302  # anonymous: to the login page
    for user, status in [
        (juror, 403),
        (AgentFactory(), 403),
        (CandidateFactory(), 403),
        (staff, 200),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
        if status == 403:
            assert client.post(url, {"action": "convoke"}).status_code == 403, user


def test_staff_pages_of_a_missing_jury_are_404(client, staff):
    client.force_login(staff)
    for name in ("selection_shortlist", "selection_hearings", "selection_deliberation"):
        assert client.get(reverse(f"jury:{name}", args=[999999])).status_code == 404


def test_hearing_record_permissions(client, jury, staff):
    group, (defi,) = heard(jury, staff)
    member, other_member = group.members.order_by("pk")[:2]
    DefiConflict.objects.create(member=other_member, defi=defi, reason="Ancien collègue")
    outsider = jury.members.exclude(pk__in=group.members.all()).first()
    url = reverse("jury:selection_hearing_record", args=[jury.pk, defi.pk])

    assert client.get(url).status_code == 302
    for user, status in [
        (staff, 200),
        (member.user, 200),
        (other_member.user, 403),  # in conflict with the défi
        (outsider.user, 403),  # a juror of another group
        (JuryMemberFactory().user, 404),  # a juror of another jury
        (defi.owner, 404),
        (CandidateFactory(), 404),
    ]:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert defi.title in response.content.decode()


def test_hearing_record_of_a_defi_without_slot_is_404(client, jury, staff):
    defi = shortlisted(jury, staff)
    client.force_login(staff)

    response = client.get(reverse("jury:selection_hearing_record", args=[jury.pk, defi.pk]))

    assert response.status_code == 404


def test_decision_record_download(client, jury, staff, django_capture_on_commit_callbacks):
    defi = submitted_defi(jury.project_call, title="Données des collectivités")
    decisions.review_decide(
        domain=DEFI_JURY, jury=jury, dossier=defi, decision="selected", motivation="", actor=staff
    )
    pending = DecisionRecord.objects.create(jury=jury, version=1, created_by=staff)
    client.force_login(staff)

    page = client.get(urls(jury)["deliberation"]).content.decode()
    assert "en cours de production" in page
    pending_url = reverse("jury:selection_decision_record", args=[jury.pk, pending.pk])
    assert client.get(pending_url).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(jury)["deliberation"], {"action": "record"})
    assert response.status_code == 302
    record = DecisionRecord.objects.get(jury=jury, version=2)
    url = reverse("jury:selection_decision_record", args=[jury.pk, record.pk])

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    for user, status in [(jury.members.first().user, 403), (defi.owner, 403)]:
        client.force_login(user)
        assert client.get(url).status_code == status
    client.logout()
    assert client.get(url).status_code == 302


def test_decision_record_of_another_jury_is_404(client, jury, staff):
    other = jury_for_call(ProjectCallFactory())
    record = DecisionRecord.objects.create(jury=other, version=1)
    client.force_login(staff)

    url = reverse("jury:selection_decision_record", args=[jury.pk, record.pk])

    assert client.get(url).status_code == 404


# --- Pre-selection -----------------------------------------------------------------------


def test_shortlist_page_shortlists_with_questions(client, jury, staff):
    defi = submitted_defi(jury.project_call)
    client.force_login(staff)

    response = client.post(
        urls(jury)["shortlist"],
        {
            "dossier": defi.pk,
            "action": "shortlist",
            f"dossier-{defi.pk}-questions": "Quel budget ?",
        },
    )

    assert response.status_code == 302
    defi.refresh_from_db()
    assert defi.state == State.SHORTLISTED
    assert defi.review.questions == "Quel budget ?"

    response = client.post(urls(jury)["shortlist"], {"dossier": defi.pk, "action": "unshortlist"})

    assert response.status_code == 302
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED


def test_shortlist_page_lists_defis_by_weighted_score(client, jury, staff):
    first, second = jury.members.order_by("pk")[:2]
    weak = submitted_defi(jury.project_call, title="Défi moins bien noté")
    strong = submitted_defi(jury.project_call, title="Défi le mieux noté")
    unscored = submitted_defi(jury.project_call, title="Défi pas encore noté")
    evaluate(weak, first, [2, 2, 2])
    evaluate(strong, first, [4, 3, 4])
    evaluate(strong, second, [3, 3, 3])
    client.force_login(staff)

    response = client.get(urls(jury)["shortlist"])

    rows = response.context["rows"]
    assert [row["dossier"] for row in rows] == [strong, weak, unscored]
    assert (rows[0]["figures"]["rank"], rows[0]["figures"]["done"]) == (1, 2)
    assert rows[0]["figures"]["weighted"] == pytest.approx((3.5 + 2 * 3 + 3.5) / 4)
    page = response.content.decode()
    assert "3,25" in page
    assert "Non classé" in page


def test_shortlist_page_writes_ranks_the_french_way(client, jury, staff):
    first = jury.members.order_by("pk").first()
    evaluate(submitted_defi(jury.project_call), first, [4, 4, 4])
    evaluate(submitted_defi(jury.project_call), first, [2, 2, 2])
    client.force_login(staff)

    page = client.get(urls(jury)["shortlist"]).content.decode()

    assert "<strong>1<sup>er</sup></strong>" in page
    assert "<strong>2<sup>e</sup></strong>" in page
    assert "1<sup>e</sup>" not in page


def test_shortlist_page_keeps_too_long_questions(client, jury, staff):
    defi = submitted_defi(jury.project_call)
    client.force_login(staff)
    questions = "Question ? " * 300  # 3300 characters

    response = client.post(
        urls(jury)["shortlist"],
        {"dossier": defi.pk, "action": "shortlist", f"dossier-{defi.pk}-questions": questions},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "3000 caractères au plus" in page
    assert questions.strip() in page
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED


def test_shortlist_page_refusal_after_decision_is_shown(client, jury, staff):
    defi = shortlisted(jury, staff)
    decisions.review_decide(
        domain=DEFI_JURY, jury=jury, dossier=defi, decision="selected", motivation="", actor=staff
    )
    client.force_login(staff)

    response = client.post(urls(jury)["shortlist"], {"dossier": defi.pk, "action": "unshortlist"})

    assert response.status_code == 400
    assert "La décision est prise" in response.content.decode()


def test_shortlist_page_of_a_defi_of_another_call_is_404(client, jury, staff):
    other = submitted_defi(ProjectCallFactory())
    client.force_login(staff)

    response = client.post(urls(jury)["shortlist"], {"dossier": other.pk, "action": "shortlist"})

    assert response.status_code == 404


# --- Hearings ----------------------------------------------------------------------------


def test_hearings_page_creates_group_and_slot(client, jury, staff):
    first, second = jury.members.order_by("pk")[:2]
    client.force_login(staff)

    assert client.get(reverse("jury:selection_group_create", args=[jury.pk])).status_code == 200
    response = client.post(
        reverse("jury:selection_group_create", args=[jury.pk]),
        {"name": "Groupe du matin", "members": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    group = JuryGroup.objects.get(jury=jury, name="Groupe du matin")
    assert set(group.members.all()) == {first, second}

    response = client.post(
        urls(jury)["hearings"],
        {
            "action": "slot_create",
            "creneau-group": group.pk,
            "creneau-starts_at": "2026-03-24T09:00",
            "creneau-ends_at": "2026-03-24T09:40",
            "creneau-location": "",
            "creneau-video_url": "https://webinaire.numerique.gouv.fr/eig",
            "creneau-capacity": "1",
            "creneau-booking": "staff",
            "creneau-booking_deadline": "",
        },
    )
    assert response.status_code == 302
    slot = HearingSlot.objects.get(group=group)
    assert slot.starts_at == paris(2026, 3, 24, 9, 0)
    assert slot.starts_at.astimezone(datetime.UTC).hour == 8
    assert (slot.capacity, slot.booking, slot.booking_deadline) == (1, "staff", None)


def test_hearings_page_slot_form_starts_with_one_place_given_by_staff(client, jury, staff):
    group_of(jury)
    client.force_login(staff)

    form = client.get(urls(jury)["hearings"]).context["slot_form"]

    assert form["capacity"].value() == 1
    assert form["booking"].value() == "staff"
    assert form["booking_deadline"].value() is None


def test_hearings_page_creates_a_slot_that_owners_book(client, jury, staff):
    group = group_of(jury)
    client.force_login(staff)

    response = client.post(
        urls(jury)["hearings"],
        {
            "action": "slot_create",
            "creneau-group": group.pk,
            "creneau-starts_at": "2026-03-24T09:00",
            "creneau-ends_at": "2026-03-24T10:30",
            "creneau-location": "DINUM, salle 4.02",
            "creneau-capacity": "3",
            "creneau-booking": "owner",
            "creneau-booking_deadline": "20/03/2026 18:00",
        },
    )

    assert response.status_code == 302
    slot = HearingSlot.objects.get(group=group)
    assert (slot.capacity, slot.booking, slot.booking_deadline) == (
        3,
        HearingSlot.Booking.OWNER,
        paris(2026, 3, 20, 18, 0),
    )
    page = client.get(urls(jury)["hearings"]).content.decode()
    assert "Réservé par les porteurs des dossiers<br>jusqu'au 20 mars 2026 à 18h00" in page
    assert "<td>0 sur 3</td>" in page


def test_hearings_page_shows_each_slots_occupancy(client, jury, staff):
    group = group_of(jury)
    start = paris(2026, 3, 24, 9, 0)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="Salle 1",
        capacity=3,
    )
    first, second = shortlisted(jury, staff), shortlisted(jury, staff)
    for defi in (first, second):
        hearings.review_assign_slot(
            domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff
        )
    client.force_login(staff)

    page = client.get(urls(jury)["hearings"]).content.decode()

    assert "Attribué par l&#x27;équipe du programme</td>" in page
    assert "<td>2 sur 3</td>" in page
    assert f"{escape(first.title)} et 1 autre</td>" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"creneau-starts_at": "2026-03-24T10:00", "creneau-ends_at": "2026-03-24T09:00"},
            "La fin doit suivre le début.",
        ),
        (
            {"creneau-location": "", "creneau-video_url": ""},
            "Indiquez un lieu ou un lien de visioconférence.",
        ),
        ({"creneau-starts_at": "demain matin"}, "Indiquez une date et une heure valides"),
        ({"creneau-video_url": "pas un lien"}, "Indiquez une adresse web complète"),
        (
            {"creneau-starts_at": "2026-03-24T09:20", "creneau-ends_at": "2026-03-24T10:00"},
            "a déjà un créneau qui chevauche celui-ci",
        ),
        # 02:30 does not exist in Paris on the night clocks go forward.
        (
            {"creneau-starts_at": "2026-03-29T02:30", "creneau-ends_at": "2026-03-29T03:30"},
            "Europe/Paris",
        ),
        ({"creneau-location": "S" * 301}, "300 caractères au plus (vous en avez saisi 301)"),
        ({"creneau-capacity": "0"}, "La capacité est un nombre entier de 1 à 50."),
        ({"creneau-capacity": "51"}, "La capacité est un nombre entier de 1 à 50."),
        ({"creneau-capacity": "abc"}, "La capacité est un nombre entier de 1 à 50."),
        ({"creneau-capacity": ""}, "La capacité est un nombre entier de 1 à 50."),
        ({"creneau-booking": "juror"}, "Choisissez qui attribue ce créneau."),
        (
            {"creneau-booking": "owner", "creneau-booking_deadline": "2026-03-24T14:01"},
            "La date limite de réservation doit précéder le début du créneau.",
        ),
        (
            {"creneau-booking_deadline": "2026-03-20T18:00"},
            "Seul un créneau réservé par les porteurs a une date limite de réservation : "
            "videz ce champ, ou choisissez « Réservé par les porteurs des dossiers ».",
        ),
        (
            {"creneau-booking": "owner", "creneau-booking_deadline": "vendredi"},
            "Indiquez une date et une heure valides, par exemple 20/03/2026 18:00.",
        ),
    ],
)
def test_hearings_page_bad_slot_is_400_in_french(client, jury, staff, data, message):
    group = group_of(jury)
    hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 9, 0),
        ends_at=paris(2026, 3, 24, 9, 40),
        location="Salle 1",
    )
    client.force_login(staff)
    posted = {
        "action": "slot_create",
        "creneau-group": group.pk,
        "creneau-starts_at": "2026-03-24T14:00",
        "creneau-ends_at": "2026-03-24T14:40",
        "creneau-location": "Salle 2",
        "creneau-video_url": "",
        "creneau-capacity": "2",
        "creneau-booking": "staff",
        "creneau-booking_deadline": "",
        **data,
    }

    response = client.post(urls(jury)["hearings"], posted)

    assert response.status_code == 400
    page = response.content.decode()
    assert escape(message) in page
    # What was typed is still there.
    form = response.context["slot_form"]
    for name in ("location", "capacity", "booking", "booking_deadline"):
        assert form[name].value() == posted[f"creneau-{name}"]
    if posted["creneau-location"]:
        assert posted["creneau-location"] in page
    assert HearingSlot.objects.filter(jury=jury).count() == 1


def test_hearings_page_refuses_a_juror_in_two_places(client, jury, staff):
    first, second, third = jury.members.order_by("pk")[:3]
    morning = hearings.jury_group_create(jury=jury, name="Matin", members=[first, second])
    other = hearings.jury_group_create(jury=jury, name="Autre", members=[second, third])
    hearings.hearing_slot_create(
        jury=jury,
        group=morning,
        starts_at=paris(2026, 3, 24, 9, 0),
        ends_at=paris(2026, 3, 24, 9, 40),
        location="Salle 1",
    )
    client.force_login(staff)

    response = client.post(
        urls(jury)["hearings"],
        {
            "action": "slot_create",
            "creneau-group": other.pk,
            "creneau-starts_at": "2026-03-24T09:30",
            "creneau-ends_at": "2026-03-24T10:10",
            "creneau-location": "Salle 2",
        },
    )

    assert response.status_code == 400
    assert "siège déjà dans le groupe « Matin »" in response.content.decode()


def test_hearings_page_assigns_and_convokes(
    client, jury, staff, django_capture_on_commit_callbacks
):
    defi = shortlisted(jury, staff, questions="Qui sera le mentor opérationnel ?")
    group = group_of(jury)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 9, 0),
        ends_at=paris(2026, 3, 24, 9, 40),
        location="Salle 1",
    )
    client.force_login(staff)

    response = client.post(
        urls(jury)["hearings"],
        {"action": "assign", "dossier": defi.pk, f"dossier-{defi.pk}-slot": slot.pk},
    )
    assert response.status_code == 302
    assert DefiReview.objects.get(defi=defi).slot == slot

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(jury)["hearings"], {"action": "convoke"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].attachments[0][0] == "audition.ics"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(urls(jury)["hearings"], {"action": "convoke"})
    assert len(mail.outbox) == 1


def test_hearings_page_refuses_a_taken_slot(client, jury, staff):
    group, (first,) = heard(jury, staff)
    second = shortlisted(jury, staff)
    slot = DefiReview.objects.get(defi=first).slot
    client.force_login(staff)

    response = client.post(
        urls(jury)["hearings"],
        {"action": "assign", "dossier": second.pk, f"dossier-{second.pk}-slot": slot.pk},
    )

    assert response.status_code == 400
    assert DefiReview.objects.get(defi=second).slot is None


def test_hearings_page_unknown_action_is_400(client, jury, staff):
    client.force_login(staff)

    response = client.post(urls(jury)["hearings"], {"action": "everything"})

    assert response.status_code == 400
    assert "Action inconnue" in response.content.decode()


def test_group_edit_page(client, jury, staff):
    group = group_of(jury, members=1)
    members = list(jury.members.order_by("pk")[:3])
    url = reverse("jury:selection_group_edit", args=[jury.pk, group.pk])
    client.force_login(staff)

    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Groupe A", "members": [m.pk for m in members]})

    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "Groupe A"
    assert set(group.members.all()) == set(members)
    client.force_login(members[0].user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("name", "foreign", "message"),
    [
        ("", False, "Donnez un nom au groupe."),
        ("Groupe 1", False, "Ce jury a déjà un groupe de ce nom."),
        ("G" * 121, False, "120 caractères"),
        ("Groupe B", True, "Ce juré n&#x27;est pas dans le jury."),
    ],
)
def test_group_create_page_refuses_bad_input(client, jury, staff, name, foreign, message):
    group_of(jury)  # « Groupe 1 »
    member = JuryMemberFactory() if foreign else jury.members.order_by("pk").first()
    client.force_login(staff)

    response = client.post(
        reverse("jury:selection_group_create", args=[jury.pk]),
        {"name": name, "members": [member.pk]},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert list(JuryGroup.objects.filter(jury=jury).values_list("name", flat=True)) == ["Groupe 1"]


def test_group_create_page_needs_a_member(client, jury, staff):
    client.force_login(staff)

    response = client.post(
        reverse("jury:selection_group_create", args=[jury.pk]), {"name": "Groupe B"}
    )

    assert response.status_code == 400
    assert "Choisissez au moins un juré." in response.content.decode()
    assert not JuryGroup.objects.filter(jury=jury).exists()


@pytest.mark.parametrize("jurors", [1, 3])
def test_group_pages_query_count(client, staff, django_assert_num_queries, jurors):
    jury = jury_for_call(ClosedProjectCallFactory(), jurors=jurors)
    group = group_of(jury, members=1)
    client.force_login(staff)

    # user (the session comes from the cache), jury, the jurors (with their accounts), the
    # layout's site settings (2); the edition reads the group with its members first.
    with django_assert_num_queries(QUERIES_GROUP_CREATE):
        response = client.get(reverse("jury:selection_group_create", args=[jury.pk]))
    assert response.content.decode().count('name="members"') == jurors
    with django_assert_num_queries(QUERIES_GROUP_CREATE + 2):
        response = client.get(reverse("jury:selection_group_edit", args=[jury.pk, group.pk]))
    assert response.content.decode().count('name="members"') == jurors


# --- Hearing opinion ---------------------------------------------------------------------


def test_hearing_record_by_a_group_member(client, jury, staff):
    group, (first, second) = heard(jury, staff, count=2)
    member = group.members.first()
    client.force_login(member.user)
    url = reverse("jury:selection_hearing_record", args=[jury.pk, first.pk])

    response = client.post(
        url,
        {
            "opinion": "favourable",
            "hearing_rank": "1",
            "favourite": "on",
            "justification": "Un défi à fort impact, une équipe prête.",
        },
    )

    assert response.status_code == 302
    review = DefiReview.objects.get(defi=first)
    assert (review.opinion, review.hearing_rank, review.favourite) == ("favourable", 1, True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"justification": ""}, "Justifiez brièvement"),
        ({"justification": "x" * 1001}, "1000 caractères au plus"),
        ({"hearing_rank": "3"}, "Le groupe auditionne 2 défis"),
        ({"hearing_rank": "1"}, "est déjà donné à"),
        ({"opinion": ""}, "Choisissez un avis"),
    ],
)
def test_hearing_record_bad_input_is_400(client, jury, staff, data, message):
    _group, (first, second) = heard(jury, staff, count=2)
    hearings.review_record_hearing(
        domain=DEFI_JURY,
        review=DefiReview.objects.get(defi=first),
        actor=staff,
        opinion="favourable",
        hearing_rank=1,
        favourite=False,
        justification="Premier",
    )
    client.force_login(staff)
    posted = {
        "opinion": "unfavourable",
        "hearing_rank": "2",
        "justification": "Périmètre trop large pour dix mois.",
        **data,
    }

    response = client.post(
        reverse("jury:selection_hearing_record", args=[jury.pk, second.pk]), posted
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if posted["justification"] and len(posted["justification"]) < 100:
        assert posted["justification"] in page
    assert DefiReview.objects.get(defi=second).heard_at is None


# --- Deliberation ------------------------------------------------------------------------


def test_deliberation_page_decides_and_mails(
    client, jury, staff, django_capture_on_commit_callbacks
):
    defi = submitted_defi(jury.project_call)
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            urls(jury)["deliberation"],
            {
                "action": "decide",
                "dossier": defi.pk,
                f"dossier-{defi.pk}-decision": "waiting_list",
                f"dossier-{defi.pk}-motivation": "Très bon défi, promotion complète.",
                "confirm": "1",  # the confirmation step (tested below)
            },
        )

    assert response.status_code == 302
    defi.refresh_from_db()
    assert defi.state == State.WAITING_LIST
    assert len(mail.outbox) == 1
    assert "Très bon défi, promotion complète." in mail.outbox[0].body


@pytest.mark.parametrize(
    ("decision", "motivation", "message"),
    [
        ("not_selected", "", "Motivez la décision « Non retenu »"),
        ("waiting_list", " ", "Motivez la décision « Liste d&#x27;attente »"),
        ("", "Sans avis", "Choisissez une décision."),
        ("maybe", "", "Choisissez une décision."),
        ("not_selected", "m" * 2001, "2000 caractères au plus"),
    ],
)
def test_deliberation_page_bad_input_is_400(client, jury, staff, decision, motivation, message):
    defi = submitted_defi(jury.project_call)
    client.force_login(staff)

    response = client.post(
        urls(jury)["deliberation"],
        {
            "action": "decide",
            "dossier": defi.pk,
            f"dossier-{defi.pk}-decision": decision,
            f"dossier-{defi.pk}-motivation": motivation,
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
    assert len(mail.outbox) == 0


def test_deliberation_page_refuses_changing_a_final_decision(client, jury, staff):
    defi = submitted_defi(jury.project_call)
    decisions.review_decide(
        domain=DEFI_JURY, jury=jury, dossier=defi, decision="selected", motivation="", actor=staff
    )
    client.force_login(staff)

    response = client.post(
        urls(jury)["deliberation"],
        {
            "action": "decide",
            "dossier": defi.pk,
            f"dossier-{defi.pk}-decision": "not_selected",
            f"dossier-{defi.pk}-motivation": "Finalement non.",
        },
    )

    assert response.status_code == 400
    assert "déjà prise" in response.content.decode()
    defi.refresh_from_db()
    assert defi.state == State.SELECTED


def test_deliberation_page_record_refused_without_decisions(client, jury, staff):
    submitted_defi(jury.project_call)
    client.force_login(staff)

    response = client.post(urls(jury)["deliberation"], {"action": "record"})

    assert response.status_code == 400
    assert "Aucune décision" in response.content.decode()
    assert not DecisionRecord.objects.exists()


# --- Query counts ------------------------------------------------------------------------


def _jury_with_rows(jury, staff, rows):
    """`rows` défis, each shortlisted, heard by one group, decided but the last."""
    group, defis = heard(jury, staff, count=rows)
    for defi in defis:
        review = DefiReview.objects.get(defi=defi)
        hearings.review_record_hearing(
            domain=DEFI_JURY,
            review=review,
            actor=staff,
            opinion="favourable",
            hearing_rank=defis.index(defi) + 1,
            favourite=False,
            justification="Justification",
        )
    for defi in defis[:-1]:
        decisions.review_decide(
            domain=DEFI_JURY,
            jury=jury,
            dossier=defi,
            decision="not_selected",
            motivation="Motivation",
            actor=staff,
        )
    members = list(jury.members.order_by("pk"))
    for index, defi in enumerate(defis):
        evaluate(defi, members[index % 4], [1 + index % 4, 2, 3])
    for _ in range(rows):
        submitted_defi(jury.project_call)
        DecisionRecord.objects.create(
            jury=jury,
            version=DecisionRecord.objects.filter(jury=jury).count() + 1,
            created_by=staff,
        )
    return defis


@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize(
    ("page", "queries"),
    [
        ("shortlist", QUERIES_SHORTLIST),
        ("hearings", QUERIES_HEARINGS),
        ("deliberation", QUERIES_DELIBERATION),
    ],
)
def test_staff_page_query_count(
    client, django_assert_num_queries, jury, staff, rows, page, queries
):
    _jury_with_rows(jury, staff, rows)
    client.force_login(staff)

    with django_assert_num_queries(queries):
        response = client.get(urls(jury)[page])

    assert response.status_code == 200
    assert len(response.context["rows"]) == (rows if page == "hearings" else 2 * rows)


@pytest.mark.parametrize("rows", [1, 3])
def test_hearing_record_query_count(client, django_assert_num_queries, jury, staff, rows):
    group, defis = heard(jury, staff, count=rows)
    client.force_login(group.members.first().user)
    url = reverse("jury:selection_hearing_record", args=[jury.pk, defis[0].pk])

    with django_assert_num_queries(QUERIES_HEARING_RECORD):
        response = client.get(url)

    assert len(response.context["group_reviews"]) == rows


# --- What the agent sees -----------------------------------------------------------------


def test_agent_sees_hearing_once_convoked_then_decision(jury, staff):
    group, (defi,) = heard(jury, staff)
    assert defi_review_for_agent(defi).convoked_at is None
    page = render_to_string(
        "projects/includes/defi_selection.html",
        {"review": defi_review_for_agent(defi)},
    )
    assert "Votre audition" not in page

    hearings.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)
    page = render_to_string(
        "projects/includes/defi_selection.html",
        {"review": defi_review_for_agent(defi)},
    )
    assert "Votre audition" in page
    assert "mardi 24 mars 2026, de 09h00 à 09h40 (heure de Paris)" in page
    assert "DINUM, salle 4.02" in page
    assert "Quelles données ?" in page

    decisions.review_decide(
        domain=DEFI_JURY,
        jury=jury,
        dossier=defi,
        decision="not_selected",
        motivation="Le périmètre reste à préciser.",
        actor=staff,
    )
    page = render_to_string(
        "projects/includes/defi_selection.html",
        {"review": defi_review_for_agent(defi)},
    )
    assert "Décision du jury : non retenu" in page
    assert "Le périmètre reste à préciser." in page


def test_agent_review_is_none_before_selection(jury):
    defi = submitted_defi(jury.project_call)

    assert defi_review_for_agent(defi) is None


# --- Deliberation: pages in the ranking's order, decision forms without crispy -------------


def test_deliberation_page_is_paginated_and_counts_every_defi(client, jury, staff, monkeypatch):
    from eig.jury.views import deliberation as views

    monkeypatch.setattr(views, "DELIBERATION_PAGE_SIZE", 1)
    first, second = (submitted_defi(jury.project_call) for _ in range(2))
    client.force_login(staff)

    pages = [
        client.get(urls(jury)["deliberation"], {"page": number}).content.decode()
        for number in (1, 2)
    ]

    shown = [
        {defi.pk for defi in (first, second) if f'id="dossier-{defi.pk}"' in page} for page in pages
    ]
    assert len(shown[0]) == len(shown[1]) == 1
    assert shown[0] | shown[1] == {first.pk, second.pk}
    assert "<li>Sans décision : 2</li>" in pages[0]
    assert "page 1 sur 2" in pages[0]


def test_deliberation_page_shows_the_page_of_a_form_with_errors(client, jury, staff, monkeypatch):
    from eig.jury.views import deliberation as views

    monkeypatch.setattr(views, "DELIBERATION_PAGE_SIZE", 1)
    defis = [submitted_defi(jury.project_call) for _ in range(2)]
    client.force_login(staff)
    # The row on the second page (défis without figures go by title).
    last = sorted(defis, key=lambda defi: (defi.title, defi.pk))[-1]

    response = client.post(
        urls(jury)["deliberation"],
        {"action": "decide", "dossier": last.pk, f"dossier-{last.pk}-decision": "not_selected"},
    )

    assert response.status_code == 400
    assert response.context["page_obj"].number == 2
    assert "Motivez la décision « Non retenu »" in response.content.decode()


@pytest.mark.parametrize("with_reasons", [False, True])
def test_deliberation_decision_form_renders_as_crispy_does(with_reasons):
    from django.template import Context, Template
    from django.test.html import parse_html

    from candidates.jury import CANDIDATE_JURY
    from eig.jury.forms import DecisionForm

    form = DecisionForm(
        prefix="dossier-7",
        allowed=decisions.DECISION_MOVES[""],
        domain=CANDIDATE_JURY if with_reasons else None,
    )
    crispy = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
        Context({"form": form})
    )
    fast = render_to_string("jury/deliberation/includes/decision_form.html", {"form": form})

    assert parse_html(fast) == parse_html(crispy)


def test_shortlist_page_is_paginated_and_counts_every_defi(client, jury, staff, monkeypatch):
    from eig.jury.views import deliberation as views

    monkeypatch.setattr(views, "DELIBERATION_PAGE_SIZE", 1)
    shortlisted(jury, staff)
    submitted_defi(jury.project_call)
    client.force_login(staff)

    first = client.get(urls(jury)["shortlist"]).content.decode()
    second = client.get(urls(jury)["shortlist"], {"page": 2}).content.decode()

    assert "1 défi présélectionné sur 2." in first
    assert "page 1 sur 2" in first and "page 2 sur 2" in second
    assert first.count('<tr id="dossier-') == second.count('<tr id="dossier-') == 1


def test_shortlist_form_renders_as_crispy_does():
    from django.template import Context, Template
    from django.test.html import parse_html

    from eig.jury.forms import ShortlistForm

    form = ShortlistForm(prefix="dossier-7", initial={"questions": "Quelles <données> ?\nEt après"})
    crispy = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
        Context({"form": form})
    )
    fast = render_to_string("jury/deliberation/includes/shortlist_form.html", {"form": form})

    assert parse_html(fast) == parse_html(crispy)


@pytest.mark.parametrize(
    "figures",
    [
        None,
        {"due": 1, "done": 0, "weighted": None, "rank": None},
        {"due": 3, "done": 3, "weighted": 25 / 9, "rank": 1, "spread": 4 / 3},
        {"due": 2, "done": 2, "weighted": 2.5, "rank": 12, "spread": 2.25, "spread_flagged": True},
    ],
)
def test_figures_cell_renders_as_its_include_does(figures):
    from django.test.html import parse_html

    from eig.jury.views import deliberation as views

    include = render_to_string("jury/deliberation/includes/figures.html", {"figures": figures})

    assert parse_html(views._figures_cell(figures)) == parse_html(include)


@pytest.mark.parametrize("current", [None, 3])
def test_slot_form_renders_as_crispy_does(current):
    from types import SimpleNamespace

    from django.template import Context, Template
    from django.test.html import parse_html
    from django.utils.html import format_html

    from eig.jury.forms import SlotAssignForm, slot_label
    from eig.jury.views import deliberation as views

    starts = timezone.now()
    group = SimpleNamespace(name="Groupe <A> & B")
    # Free, full, the row's own (full), with places left, full of several, free but booked
    # by the owners.
    slots = [
        SimpleNamespace(
            pk=pk, free=free, booking=booking, starts_at=starts, ends_at=starts, group=group
        )
        for pk, free, booking in [
            (1, 1, "staff"),
            (2, 0, "staff"),
            (3, 0 if current else 1, "staff"),
            (4, 2, "staff"),
            (5, 0, "staff"),
            (6, 2, "owner"),
        ]
    ]
    form = SlotAssignForm(
        slots=slots, current=current, prefix="dossier-7", initial={"slot": current}
    )
    crispy = Template("{% load crispy_forms_tags %}{% crispy form %}").render(
        Context({"form": form})
    )
    options = [
        (slot, format_html('<option value="{}">{}</option>', slot.pk, slot_label(slot)))
        for slot in slots
    ]
    fast = render_to_string(
        "jury/deliberation/includes/slot_form.html",
        {"prefix": "dossier-7", "options": views._slot_options(options, current)},
    )

    assert parse_html(fast) == parse_html(crispy)


# --- Rows written by the view --------------------------------------------------------------
# The pre-selection, hearings and deliberation tables print rows the view writes as strings
# (`_shortlist_row`, `_hearing_row`, `_deliberation_row`); their templates
# (`includes/*_row.html`) print a row whose posted form has errors. Each state of a row must
# print the same both ways: the templates are what the rows printed before.

LABEL = "Données « ouvertes » <b> & l'État"
HOLDER = "Ministère <de l'Intérieur> & co"
FIGURES = {"due": 3, "done": 3, "weighted": 2.5, "rank": 2, "spread": 1.0}


def _review(**fields):
    """An unsaved review (with an unsaved slot and group when `slot` is given)."""
    slot = fields.pop("slot", None)
    review = DefiReview(**fields)
    if slot:
        group = JuryGroup(pk=4, name="Groupe <A> & « B »")
        review.slot = HearingSlot(
            pk=9,
            group=group,
            starts_at=paris(2026, 3, 24, 9, 5),
            ends_at=paris(2026, 3, 24, 9, 45),
        )
    return review


SHORTLISTED = paris(2026, 3, 2, 10, 0)
HEARD = {
    "shortlisted_at": SHORTLISTED,
    "heard_at": paris(2026, 3, 24, 10, 0),
    "opinion": "favourable",
    "hearing_rank": 1,
    "favourite": True,
    "justification": "Équipe <solide>\net « motivée » & prête",
}
QUESTIONS = "Quelles <données> ?\nEt après & « ensuite »"
DECISIONS = ["selected", "waiting_list", "not_selected"]


def _row(review, url="/espace/defis/7/apercu/"):
    from eig.jury.views import deliberation as views

    return {
        "dossier": Defi(pk=7),
        "review": review,
        "label": LABEL,
        "holder": HOLDER,
        "url": url,
        "figures": FIGURES,
        "figures_html": views._figures_cell(FIGURES),
    }


def _assert_rows_equal(fast, template, context):
    from django.test.html import parse_html

    old = render_to_string(template, {"csrf_token": "jeton", **context})
    assert parse_html(fast) == parse_html(old)
    # Anything escaped once, as the template does.
    assert escape(LABEL) in fast and "&amp;amp;" not in fast


@pytest.mark.parametrize(
    "review",
    [
        None,
        {},
        {"questions": QUESTIONS},
        {"shortlisted_at": SHORTLISTED},
        {"shortlisted_at": SHORTLISTED, "questions": QUESTIONS},
        *({"decision": decision, "questions": QUESTIONS} for decision in DECISIONS),
        *({"decision": decision, "shortlisted_at": SHORTLISTED} for decision in DECISIONS),
    ],
)
@pytest.mark.parametrize("url", ["/espace/defis/7/apercu/", ""])
def test_shortlist_row_prints_as_its_template_did(review, url):
    from eig.jury.forms import ShortlistForm
    from eig.jury.views import deliberation as views

    review = None if review is None else _review(**review)
    questions = review.questions if review else ""
    row = _row(review, url)
    # As the view made it before: a form object, rendered by its include.
    old = {**row, "form": ShortlistForm(prefix="dossier-7", initial={"questions": questions})}
    if review and review.decision:
        old["form"] = None
    else:
        row["form_html"] = views._shortlist_form_html({}, 7, questions)
    labels = views._labels(DefiReview.Decision.choices)

    fast = views._shortlist_row(row, csrf="jeton", decisions=labels)

    _assert_rows_equal(fast, "jury/deliberation/includes/shortlist_row.html", {"row": old})


@pytest.mark.parametrize(
    "review",
    [
        None,
        {"shortlisted_at": SHORTLISTED},
        {"shortlisted_at": SHORTLISTED, "slot": True},
        {**HEARD, "slot": True},
        {**HEARD, "opinion": "unfavourable", "favourite": False, "justification": ""},
        {**HEARD, "decision": "waiting_list", "motivation": "Budget <serré>\n& à revoir"},
        {**HEARD, "decision": "selected", "slot": True},
        {"decision": "not_selected", "motivation": "Hors du périmètre"},
        {"decision": "not_selected"},
    ],
)
@pytest.mark.parametrize("url", ["/espace/defis/7/apercu/", ""])
def test_deliberation_row_prints_as_its_template_did(review, url):
    _assert_deliberation_row(DEFI_JURY, None if review is None else _review(**review), url)


@pytest.mark.parametrize(
    "review",
    [
        None,
        {**HEARD, "decision": "waiting_list", "reason": "attente_places", "motivation": "<Ok>"},
        {
            "decision": "not_selected",
            "reason": "coherence",
            "motivation": "Hors sujet",
            "decision_sent_at": paris(2026, 6, 2, 9, 30),
        },
        {"decision": "selected", "decision_sent_at": paris(2026, 6, 2, 9, 30)},
    ],
)
def test_deliberation_row_with_reasons_and_sending_prints_as_its_template(review):
    # A domain with its own decision labels, reasons, and decisions sent together.
    from candidates.jury import CANDIDATE_JURY

    _assert_deliberation_row(CANDIDATE_JURY, None if review is None else _review(**review), "")


def _assert_deliberation_row(domain, review, url):
    from eig.jury.forms import DecisionForm
    from eig.jury.views import deliberation as views

    labels = views._labels(domain.decision_choices())
    row = _row(review, url)
    row["allowed"] = decisions.DECISION_MOVES.get(review.decision if review else "", set())
    row["decision_label"] = labels.get(review.decision, "") if review else ""
    row["decision_note"] = views._decision_note(domain, review, labels)
    old = {**row, "form": None}
    if row["allowed"]:
        old["form"] = DecisionForm(prefix="dossier-7", allowed=row["allowed"], domain=domain)
        row["form_html"] = views._unbound_form_html(
            {},
            None,
            "jury/deliberation/includes/decision_form.html",
            DecisionForm,
            7,
            allowed=row["allowed"],
            domain=domain,
        )

    fast = views._deliberation_row(
        row,
        csrf="jeton",
        recipients=escape(domain.recipients_label),
        decisions=labels,
        opinions=views._labels(DefiReview.Opinion.choices),
    )

    _assert_rows_equal(
        fast,
        "jury/deliberation/includes/deliberation_row.html",
        {"row": old, "domain": domain},
    )
    if review is not None and review.reason:
        assert escape(domain.reason_label(review.decision, review.reason)) in fast


@pytest.mark.parametrize(
    "review",
    [
        {"shortlisted_at": SHORTLISTED, "questions": QUESTIONS},
        {"shortlisted_at": SHORTLISTED, "slot": True},
        {"shortlisted_at": SHORTLISTED, "slot": True, "convoked_at": paris(2026, 3, 10, 8, 0)},
        {**HEARD, "slot": True, "convoked_at": paris(2026, 3, 10, 8, 0)},
        {**HEARD, "opinion": "unfavourable", "favourite": False},
        {**HEARD, "slot": True, "decision": "selected"},
        {"shortlisted_at": SHORTLISTED, "decision": "not_selected"},
    ],
)
def test_hearing_row_prints_as_its_template_did(review):
    from types import SimpleNamespace

    from eig.jury.views import deliberation as views

    review = _review(**review)
    row = {**_row(review), "prefix": "dossier-7"}
    row["slot_options"] = views._slot_options([], review.slot_id)
    jury = SimpleNamespace(pk=3)
    record_url = reverse("jury:selection_hearing_record", args=[3, 0]).removesuffix("0/avis/")

    fast = views._hearing_row(
        row,
        csrf="jeton",
        record_url=record_url,
        opinions=views._labels(DefiReview.Opinion.choices),
    )

    _assert_rows_equal(
        fast, "jury/deliberation/includes/hearing_row.html", {"row": row, "jury": jury}
    )


def test_rows_with_a_bound_form_go_through_their_template():
    from eig.jury.forms import DecisionForm, ShortlistForm, SlotAssignForm
    from eig.jury.views import deliberation as views

    def fast(row):
        raise AssertionError("a row with a bound form is printed by its template")

    shortlist_form = ShortlistForm({"dossier-7-questions": "x" * 5000}, prefix="dossier-7")
    decision_form = DecisionForm(
        {"dossier-7-decision": "not_selected"}, prefix="dossier-7", allowed=set(DECISIONS)
    )
    slot_form = SlotAssignForm({"dossier-7-slot": "99"}, slots=[], prefix="dossier-7")
    for form, template, context in [
        (shortlist_form, "shortlist_row", {}),
        (decision_form, "deliberation_row", {"domain": DEFI_JURY}),
        (slot_form, "hearing_row", {"jury": {"pk": 3}}),
    ]:
        assert not form.is_valid()
        row = {
            **_row(_review(shortlisted_at=SHORTLISTED)),
            "form": form,
            "allowed": set(DECISIONS),
            "prefix": "dossier-7",
        }
        template = f"jury/deliberation/includes/{template}.html"

        html = views._table_rows([row], fast, template, {"csrf_token": "jeton", **context})

        assert html == render_to_string(template, {"csrf_token": "jeton", "row": row, **context})
        error = next(iter(form.errors.values()))[0]
        assert escape(error) in html


def test_hearings_page_is_paginated_and_counts_every_dossier_to_convoke(
    client, jury, staff, monkeypatch
):
    from eig.jury.views import deliberation as views

    monkeypatch.setattr(views, "HEARINGS_PAGE_SIZE", 1)
    group = group_of(jury)
    for index in range(2):
        slot_for(jury, group, shortlisted(jury, staff), staff, paris(2026, 3, 24, 9 + index, 0))
    client.force_login(staff)

    first = client.get(urls(jury)["hearings"])
    second = client.get(urls(jury)["hearings"], {"page": 2})
    past = client.get(urls(jury)["hearings"], {"page": 9})

    assert first.context["to_convoke"] == second.context["to_convoke"] == 2
    assert "2 convocations à envoyer." in first.content.decode()
    assert len(first.context["rows"]) == len(second.context["rows"]) == 1
    assert first.context["rows"][0]["dossier"] != second.context["rows"][0]["dossier"]
    assert past.context["page_obj"].number == 2
    assert "page 1 sur 2" in first.content.decode()


def test_hearings_page_shows_the_page_of_a_form_with_errors(client, jury, staff, monkeypatch):
    from eig.jury.views import deliberation as views

    monkeypatch.setattr(views, "HEARINGS_PAGE_SIZE", 1)
    group = group_of(jury)
    given = shortlisted(jury, staff)
    slot = slot_for(jury, group, given, staff, paris(2026, 3, 24, 9, 0))
    # Without a slot, after the one with its slot.
    other = shortlisted(jury, staff)
    client.force_login(staff)

    response = client.post(
        urls(jury)["hearings"],
        {"action": "assign", "dossier": other.pk, f"dossier-{other.pk}-slot": slot.pk},
    )

    assert response.status_code == 400
    assert response.context["page_obj"].number == 2
    assert [row["dossier"] for row in response.context["rows"]] == [other]
    assert response.context["rows"][0]["form"].errors


@pytest.mark.parametrize(("capacity", "offered"), [(1, False), (2, True)])
def test_hearings_page_offers_a_slot_while_it_has_a_free_place(
    client, jury, staff, capacity, offered
):
    group = group_of(jury)
    given, other = shortlisted(jury, staff), shortlisted(jury, staff)
    start = paris(2026, 3, 24, 9, 0)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="DINUM, salle 4.02",
        capacity=capacity,
    )
    hearings.review_assign_slot(domain=DEFI_JURY, jury=jury, dossier=given, slot=slot, actor=staff)
    client.force_login(staff)

    response = client.get(urls(jury)["hearings"])

    options = {row["dossier"]: row["slot_options"] for row in response.context["rows"]}
    assert f'<option selected value="{slot.pk}">' in options[given]
    assert (f'<option value="{slot.pk}">' in options[other]) is offered


def test_hearings_page_does_not_offer_staff_a_slot_that_owners_book(client, jury, staff):
    group = group_of(jury)
    defi = shortlisted(jury, staff)
    start = paris(2026, 3, 24, 9, 0)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="DINUM, salle 4.02",
        capacity=3,
        booking=HearingSlot.Booking.OWNER,
    )
    client.force_login(staff)

    options = client.get(urls(jury)["hearings"]).context["rows"][0]["slot_options"]
    response = client.post(
        urls(jury)["hearings"],
        {"action": "assign", "dossier": defi.pk, f"dossier-{defi.pk}-slot": slot.pk},
    )

    assert f'value="{slot.pk}"' not in options
    assert response.status_code == 400
    assert "Choisissez un créneau libre de la liste." in response.content.decode()
    assert DefiReview.objects.get(defi=defi).slot is None
