"""Pre-selection, hearings, deliberation and decision record: the services of
`eig.jury.deliberation` on défis, the .ics of the convocations and the PDF record."""

import datetime
import hashlib
import io
import os
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from icalendar import Calendar
from pypdf import PdfReader

from eig.exceptions import DeadlinePassed, DomainError, InvalidTransition
from eig.jury import deliberation
from eig.jury.models import DecisionRecord, JuryGroup
from eig.jury.pdf import decision_record_render
from eig.jury.tasks import render_decision_record
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiConflict, DefiReview, DefiTransition
from tests.factories import (
    AgentFactory,
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


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def jury():
    return jury_for_call(ClosedProjectCallFactory(), jurors=4)


@pytest.fixture
def staff():
    return StaffFactory()


def shortlist(jury, defi, staff, questions=""):
    return deliberation.review_shortlist(
        domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff, questions=questions
    )


HEARING_DAY = paris(2026, 3, 24, 9, 0)


def group_with_slot(jury, *, members=2, start=HEARING_DAY, minutes=40, name="G1"):
    group = deliberation.jury_group_create(
        jury=jury, name=name, members=list(jury.members.order_by("pk"))[:members]
    )
    slot = deliberation.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes),
        location="DINUM, 20 avenue de Ségur, Paris, salle 4.02",
    )
    return group, slot


def heard_defi(jury, staff, *, questions="Combien d'agents utilisent l'outil ?"):
    """A shortlisted défi with a slot, and its slot."""
    defi = submitted_defi(jury.project_call)
    shortlist(jury, defi, staff, questions)
    _group, slot = group_with_slot(jury)
    deliberation.review_assign_slot(
        domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff
    )
    return defi, slot


def transitions(defi):
    return list(
        DefiTransition.objects.filter(defi=defi)
        .order_by("at", "pk")
        .values_list("from_state", "to_state")
    )


# --- Pre-selection -----------------------------------------------------------------------


def test_review_shortlist_moves_defi_and_writes_history(jury, staff):
    defi = submitted_defi(jury.project_call)

    review = shortlist(jury, defi, staff, "  Quelles données sont ouvertes ?  ")

    defi.refresh_from_db()
    assert defi.state == State.SHORTLISTED
    assert review.questions == "Quelles données sont ouvertes ?"
    assert review.shortlisted_at is not None
    last = DefiTransition.objects.filter(defi=defi).latest("at", "pk")
    assert (last.from_state, last.to_state, last.actor) == (
        State.SUBMITTED,
        State.SHORTLISTED,
        staff,
    )


def test_review_shortlist_again_updates_questions_only(jury, staff):
    defi = submitted_defi(jury.project_call)
    shortlist(jury, defi, staff, "Première question")
    count = DefiTransition.objects.filter(defi=defi).count()

    review = shortlist(jury, defi, staff, "Question reformulée")

    assert review.questions == "Question reformulée"
    assert DefiTransition.objects.filter(defi=defi).count() == count


def test_review_shortlist_refused_while_call_open(staff):
    call = ProjectCallFactory()
    jury = jury_for_call(call)
    defi = submitted_defi(call)

    with pytest.raises(DeadlinePassed):
        shortlist(jury, defi, staff)

    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
    assert not DefiReview.objects.filter(defi=defi).exists()


def test_review_shortlist_refused_for_defi_of_another_jury(jury, staff):
    other = submitted_defi(ClosedProjectCallFactory())

    with pytest.raises(DomainError, match="pas soumis à ce jury"):
        shortlist(jury, other, staff)


def test_review_unshortlist_goes_back_to_submitted(jury, staff):
    defi = submitted_defi(jury.project_call)
    shortlist(jury, defi, staff)

    deliberation.review_unshortlist(domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff)

    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
    assert transitions(defi)[-2:] == [
        (State.SUBMITTED, State.SHORTLISTED),
        (State.SHORTLISTED, State.SUBMITTED),
    ]
    assert DefiReview.objects.get(defi=defi).shortlisted_at is None


def test_review_shortlist_and_unshortlist_refused_after_decision(jury, staff):
    defi = submitted_defi(jury.project_call)
    shortlist(jury, defi, staff)
    deliberation.review_decide(
        domain=DEFI_JURY, jury=jury, dossier=defi, decision="selected", motivation="", actor=staff
    )

    with pytest.raises(InvalidTransition, match="décision est prise"):
        shortlist(jury, defi, staff, "Encore une question")
    with pytest.raises(InvalidTransition, match="décision est prise"):
        deliberation.review_unshortlist(domain=DEFI_JURY, jury=jury, dossier=defi, actor=staff)

    defi.refresh_from_db()
    assert defi.state == State.SELECTED


# --- Groups and slots --------------------------------------------------------------------


def test_hearing_slot_create_refuses_overlap_in_the_same_group(jury):
    group, _slot = group_with_slot(jury, start=paris(2026, 3, 24, 9, 0))

    with pytest.raises(DomainError, match="chevauche"):
        deliberation.hearing_slot_create(
            jury=jury,
            group=group,
            starts_at=paris(2026, 3, 24, 9, 30),
            ends_at=paris(2026, 3, 24, 10, 10),
            video_url="https://webinaire.numerique.gouv.fr/eig",
        )
    # Back to back is fine.
    deliberation.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 9, 40),
        ends_at=paris(2026, 3, 24, 10, 20),
        video_url="https://webinaire.numerique.gouv.fr/eig",
    )
    assert group.slots.count() == 2


def test_hearing_slot_create_refuses_a_juror_in_two_places(jury):
    first, second, third = list(jury.members.order_by("pk"))[:3]
    morning = deliberation.jury_group_create(jury=jury, name="Matin", members=[first, second])
    other = deliberation.jury_group_create(jury=jury, name="Autre", members=[second, third])
    deliberation.hearing_slot_create(
        jury=jury,
        group=morning,
        starts_at=paris(2026, 3, 24, 9, 0),
        ends_at=paris(2026, 3, 24, 9, 40),
        location="Salle 1",
    )

    with pytest.raises(DomainError, match=f"{second} siège déjà dans le groupe « Matin »"):
        deliberation.hearing_slot_create(
            jury=jury,
            group=other,
            starts_at=paris(2026, 3, 24, 9, 20),
            ends_at=paris(2026, 3, 24, 10, 0),
            location="Salle 2",
        )


@pytest.mark.parametrize(
    ("minutes", "location", "video_url", "message"),
    [
        (0, "Salle 1", "", "La fin du créneau doit suivre son début"),
        (-10, "Salle 1", "", "La fin du créneau doit suivre son début"),
        (40, " ", "", "Indiquez un lieu ou un lien"),
    ],
)
def test_hearing_slot_create_refuses_bad_slots(jury, minutes, location, video_url, message):
    group = deliberation.jury_group_create(jury=jury, name="G", members=[])
    start = paris(2026, 3, 24, 9, 0)

    with pytest.raises(DomainError, match=message):
        deliberation.hearing_slot_create(
            jury=jury,
            group=group,
            starts_at=start,
            ends_at=start + datetime.timedelta(minutes=minutes),
            location=location,
            video_url=video_url,
        )


def test_jury_group_create_refuses_a_member_of_another_jury(jury):
    stranger = JuryMemberFactory()

    with pytest.raises(DomainError, match="pas un juré actif de ce jury"):
        deliberation.jury_group_create(jury=jury, name="G", members=[stranger])

    assert not JuryGroup.objects.filter(jury=jury).exists()


def test_review_assign_slot_one_defi_per_slot(jury, staff):
    defi, slot = heard_defi(jury, staff)
    other = submitted_defi(jury.project_call)
    shortlist(jury, other, staff)

    with pytest.raises(DomainError, match=f"déjà donné à « {defi} »"):
        deliberation.review_assign_slot(
            domain=DEFI_JURY, jury=jury, dossier=other, slot=slot, actor=staff
        )


def test_review_assign_slot_refused_when_not_shortlisted(jury, staff):
    defi = submitted_defi(jury.project_call)
    _group, slot = group_with_slot(jury)

    with pytest.raises(InvalidTransition, match="pas présélectionné"):
        deliberation.review_assign_slot(
            domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff
        )


# --- Convocations ------------------------------------------------------------------------


def test_hearing_convoke_mails_an_ics_once(jury, staff, django_capture_on_commit_callbacks):
    defi, slot = heard_defi(jury, staff, questions="Qui porte le projet au quotidien ?")
    colleague = AgentFactory(administration=defi.administration)
    defi.collaborators.add(colleague)

    with django_capture_on_commit_callbacks(execute=True):
        count = deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)

    assert count == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([defi.owner.email, colleague.email])
    assert f"Convocation à l’audition de votre défi « {defi} »" in message.subject
    assert "le mardi 24 mars 2026, de 09h00 à 09h40 (heure de Paris)" in message.body
    assert "Qui porte le projet au quotidien ?" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("audition.ics", "text/calendar")

    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(PARIS) == paris(2026, 3, 24, 9, 0)
    assert event.decoded("dtend").astimezone(PARIS) == paris(2026, 3, 24, 9, 40)
    assert event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert str(event["uid"]).startswith(f"audition-{slot.pk}-defi-{defi.pk}@")
    assert str(event["location"]) == "DINUM, 20 avenue de Ségur, Paris, salle 4.02"
    assert str(event["summary"]) == f"Audition EIG : {defi}"
    assert "Qui porte le projet au quotidien ?" in str(event["description"])
    assert DefiReview.objects.get(defi=defi).convoked_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        again = deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)

    assert again == 0
    assert len(mail.outbox) == 1


def test_hearing_convoke_by_video_puts_the_link_in_the_event(
    jury, staff, django_capture_on_commit_callbacks
):
    defi = submitted_defi(jury.project_call)
    shortlist(jury, defi, staff)
    group = deliberation.jury_group_create(jury=jury, name="Visio", members=[])
    # The day clocks go forward in Paris: 10:00 is UTC+2.
    slot = deliberation.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 29, 10, 0),
        ends_at=paris(2026, 3, 29, 10, 40),
        video_url="https://webinaire.numerique.gouv.fr/eig-audition",
    )
    deliberation.review_assign_slot(
        domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff
    )

    with django_capture_on_commit_callbacks(execute=True):
        deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)

    event = Calendar.from_ical(mail.outbox[0].attachments[0][1]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.datetime(2026, 3, 29, 8, 0, tzinfo=datetime.UTC)
    assert str(event["url"]) == "https://webinaire.numerique.gouv.fr/eig-audition"
    assert "https://webinaire.numerique.gouv.fr/eig-audition" in mail.outbox[0].body


def test_slot_change_cancels_then_convokes_again(jury, staff, django_capture_on_commit_callbacks):
    defi, first = heard_defi(jury, staff)
    with django_capture_on_commit_callbacks(execute=True):
        deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)
    group = first.group
    later = deliberation.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 14, 0),
        ends_at=paris(2026, 3, 24, 14, 40),
        location="Salle 2",
    )

    with django_capture_on_commit_callbacks(execute=True):
        deliberation.review_assign_slot(
            domain=DEFI_JURY, jury=jury, dossier=defi, slot=later, actor=staff
        )
        count = deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)

    assert count == 1
    cancellation, convocation = mail.outbox[1], mail.outbox[2]
    assert "Audition annulée" in cancellation.subject
    cancelled = Calendar.from_ical(cancellation.attachments[0][1])
    assert str(cancelled["method"]) == "CANCEL"
    assert str(cancelled.walk("VEVENT")[0]["uid"]).startswith(f"audition-{first.pk}-")
    assert "de 14h00 à 14h40" in convocation.body
    event = Calendar.from_ical(convocation.attachments[0][1]).walk("VEVENT")[0]
    assert str(event["uid"]).startswith(f"audition-{later.pk}-")


def test_hearing_slot_delete_tells_a_convoked_administration(
    jury, staff, django_capture_on_commit_callbacks
):
    defi, slot = heard_defi(jury, staff)
    with django_capture_on_commit_callbacks(execute=True):
        deliberation.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)

    with django_capture_on_commit_callbacks(execute=True):
        deliberation.hearing_slot_delete(domain=DEFI_JURY, slot=slot)

    assert len(mail.outbox) == 2
    assert "reste présélectionné" in mail.outbox[1].body
    review = DefiReview.objects.get(defi=defi)
    assert (review.slot, review.convoked_at) == (None, None)


# --- Hearing opinion ---------------------------------------------------------------------


def record(review, actor, **kwargs):
    values = {
        "opinion": "favourable",
        "hearing_rank": 1,
        "favourite": False,
        "justification": "Équipe solide, données disponibles.",
    }
    values.update(kwargs)
    return deliberation.review_record_hearing(
        domain=DEFI_JURY, review=review, actor=actor, **values
    )


def two_defis_in_one_group(jury, staff):
    group, first_slot = group_with_slot(jury)
    second_slot = deliberation.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 10, 0),
        ends_at=paris(2026, 3, 24, 10, 40),
        location="Salle 4.02",
    )
    reviews = []
    for slot in (first_slot, second_slot):
        defi = submitted_defi(jury.project_call)
        shortlist(jury, defi, staff)
        reviews.append(
            deliberation.review_assign_slot(
                domain=DEFI_JURY, jury=jury, dossier=defi, slot=slot, actor=staff
            )
        )
    return group, reviews


def test_review_record_hearing_by_a_group_member(jury, staff):
    group, (first, second) = two_defis_in_one_group(jury, staff)
    member = group.members.first()

    record(first, member.user, hearing_rank=2, favourite=True, opinion="unfavourable")

    first.refresh_from_db()
    assert (first.opinion, first.hearing_rank, first.favourite) == ("unfavourable", 2, True)
    assert first.heard_at is not None


def test_review_record_hearing_ranks_are_unique_in_the_group(jury, staff):
    group, (first, second) = two_defis_in_one_group(jury, staff)
    record(first, staff, hearing_rank=1)

    with pytest.raises(DomainError, match=f"rang 1 est déjà donné à « {first.defi} »"):
        record(second, staff, hearing_rank=1)
    with pytest.raises(DomainError, match="Le rang va de 1 à 2"):
        record(second, staff, hearing_rank=3)

    record(second, staff, hearing_rank=2)
    # Recording the same défi again keeps its own rank free for itself.
    record(first, staff, hearing_rank=1, justification="Avis revu après discussion.")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"justification": "   "}, "Justifiez"),
        ({"justification": "x" * 1001}, "1000 caractères au plus"),
        ({"opinion": "maybe"}, "favorable ou défavorable"),
    ],
)
def test_review_record_hearing_refuses_bad_input(jury, staff, kwargs, message):
    _defi, slot = heard_defi(jury, staff)
    review = DefiReview.objects.get(slot=slot)

    with pytest.raises(DomainError, match=message):
        record(review, staff, **kwargs)

    review.refresh_from_db()
    assert review.heard_at is None


def test_review_record_hearing_refuses_outsiders_and_conflicts(jury, staff):
    group, (first, _second) = two_defis_in_one_group(jury, staff)
    outsider = jury.members.exclude(pk__in=group.members.all()).first()
    member = group.members.first()
    DefiConflict.objects.create(member=member, defi=first.defi, reason="Ancien collègue")

    with pytest.raises(DomainError, match="Seuls les membres du groupe"):
        record(first, outsider.user)
    with pytest.raises(DomainError, match="conflit d'intérêts"):
        record(first, member.user)


# --- Decisions ---------------------------------------------------------------------------


def decide(jury, defi, staff, decision, motivation="Le jury a préféré d'autres défis."):
    return deliberation.review_decide(
        domain=DEFI_JURY,
        jury=jury,
        dossier=defi,
        decision=decision,
        motivation=motivation,
        actor=staff,
    )


@pytest.mark.parametrize(
    ("decision", "state", "subject"),
    [
        ("selected", State.SELECTED, "est retenu"),
        ("waiting_list", State.WAITING_LIST, "est sur liste d’attente"),
        ("not_selected", State.NOT_SELECTED, "n’est pas retenu"),
    ],
)
def test_review_decide_moves_the_defi_and_mails_it(
    jury, staff, django_capture_on_commit_callbacks, decision, state, subject
):
    defi, _slot = heard_defi(jury, staff)

    with django_capture_on_commit_callbacks(execute=True):
        review = decide(jury, defi, staff, decision, "Impact fort, équipe engagée.")

    defi.refresh_from_db()
    assert defi.state == state
    assert transitions(defi)[-1] == (State.SHORTLISTED, state)
    assert (review.decision, review.decided_by) == (decision, staff)
    assert len(mail.outbox) == 1
    assert subject in mail.outbox[0].subject
    assert mail.outbox[0].to == [defi.owner.email]
    assert "Impact fort, équipe engagée." in mail.outbox[0].body


def test_review_decide_directly_from_submitted(jury, staff):
    defi = submitted_defi(jury.project_call)

    decide(jury, defi, staff, "not_selected")

    defi.refresh_from_db()
    assert defi.state == State.NOT_SELECTED
    assert transitions(defi)[-1] == (State.SUBMITTED, State.NOT_SELECTED)


def test_review_decide_waiting_list_then_selected(jury, staff, django_capture_on_commit_callbacks):
    defi = submitted_defi(jury.project_call)
    decide(jury, defi, staff, "waiting_list")

    with django_capture_on_commit_callbacks(execute=True):
        decide(jury, defi, staff, "selected", "")

    defi.refresh_from_db()
    assert defi.state == State.SELECTED
    assert transitions(defi)[-2:] == [
        (State.SUBMITTED, State.WAITING_LIST),
        (State.WAITING_LIST, State.SELECTED),
    ]
    assert "jusqu’ici sur liste d’attente" in mail.outbox[-1].body


@pytest.mark.parametrize("first", ["selected", "not_selected"])
def test_review_decide_is_final(jury, staff, first):
    defi = submitted_defi(jury.project_call)
    decide(jury, defi, staff, first)

    for other in ("selected", "waiting_list", "not_selected"):
        with pytest.raises(InvalidTransition, match="est déjà prise"):
            decide(jury, defi, staff, other)

    defi.refresh_from_db()
    assert defi.state == first


@pytest.mark.parametrize("decision", ["waiting_list", "not_selected"])
def test_review_decide_needs_a_motivation(jury, staff, decision):
    defi = submitted_defi(jury.project_call)

    with pytest.raises(DomainError, match="Motivez la décision"):
        decide(jury, defi, staff, decision, "  ")

    defi.refresh_from_db()
    assert defi.state == State.SUBMITTED
    assert len(mail.outbox) == 0


def test_review_decide_refuses_a_withdrawn_defi(jury, staff):
    defi = submitted_defi(jury.project_call)
    Defi.objects.filter(pk=defi.pk).update(state=State.WITHDRAWN)

    with pytest.raises(DomainError):
        decide(jury, defi, staff, "selected", "")


# --- Decision record ---------------------------------------------------------------------


def pdf_text(record) -> str:
    with record.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def decided_jury(jury, staff):
    titles = {
        "selected": "Données des collectivités locales",
        "waiting_list": "Portail de la langue française",
        "not_selected": "Assistant des déclarations sociales",
    }
    for decision, title in titles.items():
        decide(jury, submitted_defi(jury.project_call, title=title), staff, decision)
    submitted_defi(jury.project_call, title="Défi encore en discussion")
    return titles


def test_decision_record_request_renders_the_pdf(jury, staff, django_capture_on_commit_callbacks):
    titles = decided_jury(jury, staff)

    with django_capture_on_commit_callbacks(execute=True):
        record = deliberation.decision_record_request(domain=DEFI_JURY, jury=jury, actor=staff)

    record.refresh_from_db()
    assert record.version == 1
    assert record.rendered_at is not None
    with record.pdf.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    assert record.checksum == hashlib.sha256(content).hexdigest()
    text = " ".join(pdf_text(record).split())
    for title in titles.values():
        assert title in text
    for label in ("Retenu", "Liste d'attente", "Non retenu", "Sans décision"):
        assert label in text
    assert "Le jury a préféré d'autres défis." in text
    assert str(jury.project_call) in text
    assert "Composition du jury" in text


def test_decision_record_versions_grow(jury, staff, django_capture_on_commit_callbacks):
    decided_jury(jury, staff)

    with django_capture_on_commit_callbacks(execute=True):
        deliberation.decision_record_request(domain=DEFI_JURY, jury=jury, actor=staff)
        deliberation.decision_record_request(domain=DEFI_JURY, jury=jury, actor=staff)

    records = list(DecisionRecord.objects.filter(jury=jury).order_by("version"))
    assert [r.version for r in records] == [1, 2]
    assert records[0].pdf.name != records[1].pdf.name


def test_decision_record_request_refused_without_decisions(jury, staff):
    submitted_defi(jury.project_call)

    with pytest.raises(DomainError, match="Aucune décision"):
        deliberation.decision_record_request(domain=DEFI_JURY, jury=jury, actor=staff)

    assert not DecisionRecord.objects.exists()


def test_render_task_retried_keeps_one_file(jury, staff, django_capture_on_commit_callbacks):
    decided_jury(jury, staff)
    with django_capture_on_commit_callbacks(execute=True):
        record = deliberation.decision_record_request(domain=DEFI_JURY, jury=jury, actor=staff)
    record.refresh_from_db()
    name, checksum, rendered_at = record.pdf.name, record.checksum, record.rendered_at

    render_decision_record.delay(record_id=record.pk, domain=DEFI_JURY.import_path)

    record.refresh_from_db()
    assert (record.pdf.name, record.checksum, record.rendered_at) == (name, checksum, rendered_at)
    folder = os.path.dirname(record.pdf.path)
    assert os.listdir(folder) == [os.path.basename(name)]


def test_render_after_a_crash_replaces_the_file_left_behind(jury, staff):
    decided_jury(jury, staff)
    record = DecisionRecord.objects.create(jury=jury, version=1, created_by=staff)
    # A first attempt wrote its file, then failed before saving the record.
    left = decision_record_render(domain=DEFI_JURY, record_id=record.pk)
    DecisionRecord.objects.filter(pk=record.pk).update(rendered_at=None, checksum="", pdf="")

    rendered = decision_record_render(domain=DEFI_JURY, record_id=record.pk)

    assert rendered.pdf.name == left.pdf.name
    assert os.listdir(os.path.dirname(rendered.pdf.path)) == [os.path.basename(left.pdf.name)]
    with rendered.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == rendered.checksum


def test_juror_dashboard_lists_the_hearings_of_their_group(jury, staff, client):
    defi, slot = heard_defi(jury, staff)
    member = slot.group.members.first()
    outsider = jury.members.exclude(pk__in=slot.group.members.all()).first()
    client.force_login(member.user)

    content = client.get(reverse("jury:dashboard")).content.decode()

    assert "Mes auditions" in content
    assert reverse("jury:selection_hearing_record", args=[jury.pk, defi.pk]) in content
    if outsider is not None:
        client.force_login(outsider.user)
        assert "Mes auditions" not in client.get(reverse("jury:dashboard")).content.decode()
