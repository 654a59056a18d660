"""Pre-selection, hearings, deliberation and decision record: the services of
`eig.jury.deliberation` on every domain (`kit`: défis, then the test-only anonymous
entries), the .ics of the convocations and the PDF record."""

import datetime
import hashlib
import io
import os
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from pypdf import PdfReader

from eig.exceptions import DeadlinePassed, DomainError, InvalidTransition
from eig.history.models import Event
from eig.jury import decisions, hearings
from eig.jury import shortlist as preselection
from eig.jury.models import DecisionRecord, HearingSlot, JuryGroup
from eig.jury.pdf import decision_record_render
from eig.jury.tasks import render_decision_record
from eig.notifications.models import OutboxMessage
from tests.factories import AgentFactory, JuryMemberFactory, StaffFactory
from tests.jury_kit import KITS

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# The dossier states the jury moves: the same values in every domain.
SUBMITTED, SHORTLISTED, SELECTED = "submitted", "shortlisted", "selected"
WAITING_LIST, NOT_SELECTED, WITHDRAWN = "waiting_list", "not_selected", "withdrawn"


def paris(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def jury(kit):
    return kit.jury(closed=True, jurors=4)


@pytest.fixture
def staff():
    return StaffFactory()


def shortlist(kit, jury, dossier, staff, questions=""):
    return preselection.review_shortlist(
        domain=kit.domain, jury=jury, dossier=dossier, actor=staff, questions=questions
    )


HEARING_DAY = paris(2026, 3, 24, 9, 0)


def group_with_slot(jury, *, members=2, start=HEARING_DAY, minutes=40, name="G1"):
    group = hearings.jury_group_create(
        jury=jury, name=name, members=list(jury.members.order_by("pk"))[:members]
    )
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes),
        location="DINUM, 20 avenue de Ségur, Paris, salle 4.02",
    )
    return group, slot


def heard_dossier(kit, jury, staff, *, questions="Combien d'agents utilisent l'outil ?"):
    """A shortlisted dossier with a slot, and its slot."""
    dossier = kit.dossier(jury)
    shortlist(kit, jury, dossier, staff, questions)
    _group, slot = group_with_slot(jury)
    hearings.review_assign_slot(
        domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
    )
    return dossier, slot


# --- Pre-selection -----------------------------------------------------------------------


def test_review_shortlist_moves_the_dossier_and_writes_history(kit, jury, staff):
    dossier = kit.dossier(jury)

    review = shortlist(kit, jury, dossier, staff, "  Quelles données sont ouvertes ?  ")

    assert kit.state(dossier) == SHORTLISTED
    assert review.questions == "Quelles données sont ouvertes ?"
    assert review.shortlisted_at is not None
    assert kit.last_transition(dossier) == (SUBMITTED, SHORTLISTED, staff)


def test_review_shortlist_again_updates_questions_only(kit, jury, staff):
    dossier = kit.dossier(jury)
    shortlist(kit, jury, dossier, staff, "Première question")
    count = len(kit.transitions(dossier))

    review = shortlist(kit, jury, dossier, staff, "Question reformulée")

    assert review.questions == "Question reformulée"
    assert len(kit.transitions(dossier)) == count


def test_review_shortlist_refused_while_call_open(kit, staff):
    jury = kit.jury()
    dossier = kit.dossier(jury)

    with pytest.raises(DeadlinePassed):
        shortlist(kit, jury, dossier, staff)

    assert kit.state(dossier) == SUBMITTED
    assert kit.review(dossier) is None


def test_review_shortlist_refused_for_a_dossier_of_another_jury(kit, jury, staff):
    other = kit.other_dossier()

    with pytest.raises(DomainError, match="pas soumis à ce jury"):
        shortlist(kit, jury, other, staff)


def test_review_unshortlist_goes_back_to_submitted(kit, jury, staff):
    dossier = kit.dossier(jury)
    shortlist(kit, jury, dossier, staff)

    preselection.review_unshortlist(domain=kit.domain, jury=jury, dossier=dossier, actor=staff)

    assert kit.state(dossier) == SUBMITTED
    assert kit.transitions(dossier)[-2:] == [
        (SUBMITTED, SHORTLISTED),
        (SHORTLISTED, SUBMITTED),
    ]
    assert kit.review(dossier).shortlisted_at is None


def test_review_shortlist_and_unshortlist_refused_after_decision(kit, jury, staff):
    dossier = kit.dossier(jury)
    shortlist(kit, jury, dossier, staff)
    decisions.review_decide(
        domain=kit.domain,
        jury=jury,
        dossier=dossier,
        decision="selected",
        motivation="",
        actor=staff,
    )

    with pytest.raises(InvalidTransition, match="décision est prise"):
        shortlist(kit, jury, dossier, staff, "Encore une question")
    with pytest.raises(InvalidTransition, match="décision est prise"):
        preselection.review_unshortlist(domain=kit.domain, jury=jury, dossier=dossier, actor=staff)

    assert kit.state(dossier) == SELECTED


# --- Groups and slots --------------------------------------------------------------------


def test_hearing_slot_create_refuses_overlap_in_the_same_group(jury):
    group, _slot = group_with_slot(jury, start=paris(2026, 3, 24, 9, 0))

    with pytest.raises(DomainError, match="chevauche"):
        hearings.hearing_slot_create(
            jury=jury,
            group=group,
            starts_at=paris(2026, 3, 24, 9, 30),
            ends_at=paris(2026, 3, 24, 10, 10),
            video_url="https://webinaire.numerique.gouv.fr/eig",
        )
    # Back to back is fine.
    hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 9, 40),
        ends_at=paris(2026, 3, 24, 10, 20),
        video_url="https://webinaire.numerique.gouv.fr/eig",
    )
    assert group.slots.count() == 2


def test_hearing_slot_create_refuses_a_juror_in_two_places(jury):
    first, second, third = list(jury.members.order_by("pk"))[:3]
    morning = hearings.jury_group_create(jury=jury, name="Matin", members=[first, second])
    other = hearings.jury_group_create(jury=jury, name="Autre", members=[second, third])
    hearings.hearing_slot_create(
        jury=jury,
        group=morning,
        starts_at=paris(2026, 3, 24, 9, 0),
        ends_at=paris(2026, 3, 24, 9, 40),
        location="Salle 1",
    )

    with pytest.raises(DomainError, match=f"{second} siège déjà dans le groupe « Matin »"):
        hearings.hearing_slot_create(
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
    group = hearings.jury_group_create(jury=jury, name="G", members=[])
    start = paris(2026, 3, 24, 9, 0)

    with pytest.raises(DomainError, match=message):
        hearings.hearing_slot_create(
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
        hearings.jury_group_create(jury=jury, name="G", members=[stranger])

    assert not JuryGroup.objects.filter(jury=jury).exists()


def test_review_assign_slot_one_dossier_per_slot(kit, jury, staff):
    dossier, slot = heard_dossier(kit, jury, staff)
    other = kit.dossier(jury)
    shortlist(kit, jury, other, staff)

    with pytest.raises(DomainError, match=f"déjà donné à « {dossier} »"):
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=other, slot=slot, actor=staff
        )


def test_review_assign_slot_refused_when_not_shortlisted(kit, jury, staff):
    dossier = kit.dossier(jury)
    _group, slot = group_with_slot(jury)

    with pytest.raises(InvalidTransition, match="pas présélectionné"):
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
        )


# --- Convocations ------------------------------------------------------------------------


def test_hearing_convoke_mails_an_ics_once(kit, jury, staff, django_capture_on_commit_callbacks):
    dossier, slot = heard_dossier(kit, jury, staff, questions="Qui porte le projet au quotidien ?")
    others = kit.add_recipient(dossier)

    with django_capture_on_commit_callbacks(execute=True):
        count = hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)

    assert count == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([kit.owner_email(dossier), *others])
    assert f"Convocation à l’audition de {kit.your_dossier(dossier)}" in message.subject
    assert "le mardi 24 mars 2026, de 09h00 à 09h40 (heure de Paris)" in message.body
    assert "Qui porte le projet au quotidien ?" in message.body
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("audition.ics", "text/calendar")

    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(PARIS) == paris(2026, 3, 24, 9, 0)
    assert event.decoded("dtend").astimezone(PARIS) == paris(2026, 3, 24, 9, 40)
    assert event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert str(event["uid"]).startswith(
        f"audition-{slot.pk}-{kit.domain.dossier_field}-{dossier.pk}@"
    )
    assert str(event["location"]) == "DINUM, 20 avenue de Ségur, Paris, salle 4.02"
    assert str(event["summary"]) == f"Audition EIG : {dossier}"
    assert "Qui porte le projet au quotidien ?" in str(event["description"])
    assert kit.review(dossier).convoked_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        again = hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)

    assert again == 0
    assert len(mail.outbox) == 1


def test_hearing_convoke_by_video_puts_the_link_in_the_event(
    kit, jury, staff, django_capture_on_commit_callbacks
):
    dossier = kit.dossier(jury)
    shortlist(kit, jury, dossier, staff)
    group = hearings.jury_group_create(jury=jury, name="Visio", members=[])
    # The day clocks go forward in Paris: 10:00 is UTC+2.
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 29, 10, 0),
        ends_at=paris(2026, 3, 29, 10, 40),
        video_url="https://webinaire.numerique.gouv.fr/eig-audition",
    )
    hearings.review_assign_slot(
        domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
    )

    with django_capture_on_commit_callbacks(execute=True):
        hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)

    event = Calendar.from_ical(mail.outbox[0].attachments[0][1]).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.datetime(2026, 3, 29, 8, 0, tzinfo=datetime.UTC)
    assert str(event["url"]) == "https://webinaire.numerique.gouv.fr/eig-audition"
    assert "https://webinaire.numerique.gouv.fr/eig-audition" in mail.outbox[0].body


def test_slot_change_cancels_then_convokes_again(
    kit, jury, staff, django_capture_on_commit_callbacks
):
    dossier, first = heard_dossier(kit, jury, staff)
    with django_capture_on_commit_callbacks(execute=True):
        hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)
    group = first.group
    later = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 14, 0),
        ends_at=paris(2026, 3, 24, 14, 40),
        location="Salle 2",
    )

    with django_capture_on_commit_callbacks(execute=True):
        hearings.review_assign_slot(
            domain=kit.domain, jury=jury, dossier=dossier, slot=later, actor=staff
        )
        count = hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)

    assert count == 1
    cancellation, convocation = mail.outbox[1], mail.outbox[2]
    assert "Audition annulée" in cancellation.subject
    cancelled = Calendar.from_ical(cancellation.attachments[0][1])
    assert str(cancelled["method"]) == "CANCEL"
    assert str(cancelled.walk("VEVENT")[0]["uid"]).startswith(f"audition-{first.pk}-")
    assert "de 14h00 à 14h40" in convocation.body
    event = Calendar.from_ical(convocation.attachments[0][1]).walk("VEVENT")[0]
    assert str(event["uid"]).startswith(f"audition-{later.pk}-")


def test_hearing_slot_delete_tells_a_convoked_dossier(
    kit, jury, staff, django_capture_on_commit_callbacks
):
    dossier, slot = heard_dossier(kit, jury, staff)
    with django_capture_on_commit_callbacks(execute=True):
        hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)

    with django_capture_on_commit_callbacks(execute=True):
        hearings.hearing_slot_delete(domain=kit.domain, slot=slot)

    assert len(mail.outbox) == 2
    assert "reste présélectionné" in mail.outbox[1].body
    review = kit.review(dossier)
    assert (review.slot, review.convoked_at) == (None, None)


# --- Hearing opinion ---------------------------------------------------------------------


def record(kit, review, actor, **kwargs):
    values = {
        "opinion": "favourable",
        "hearing_rank": 1,
        "favourite": False,
        "justification": "Équipe solide, données disponibles.",
    }
    values.update(kwargs)
    return hearings.review_record_hearing(domain=kit.domain, review=review, actor=actor, **values)


def two_dossiers_in_one_group(kit, jury, staff):
    group, first_slot = group_with_slot(jury)
    second_slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=paris(2026, 3, 24, 10, 0),
        ends_at=paris(2026, 3, 24, 10, 40),
        location="Salle 4.02",
    )
    reviews = []
    for slot in (first_slot, second_slot):
        dossier = kit.dossier(jury)
        shortlist(kit, jury, dossier, staff)
        reviews.append(
            hearings.review_assign_slot(
                domain=kit.domain, jury=jury, dossier=dossier, slot=slot, actor=staff
            )
        )
    return group, reviews


def test_review_record_hearing_by_a_group_member(kit, jury, staff):
    group, (first, second) = two_dossiers_in_one_group(kit, jury, staff)
    member = group.members.first()

    record(kit, first, member.user, hearing_rank=2, favourite=True, opinion="unfavourable")

    first.refresh_from_db()
    assert (first.opinion, first.hearing_rank, first.favourite) == ("unfavourable", 2, True)
    assert first.heard_at is not None


def test_review_record_hearing_ranks_are_unique_in_the_group(kit, jury, staff):
    group, (first, second) = two_dossiers_in_one_group(kit, jury, staff)
    record(kit, first, staff, hearing_rank=1)
    # Jurors of the group read the message: it names the dossier as they know it.
    taken = kit.domain.label_for_juror(getattr(first, kit.domain.dossier_field))

    with pytest.raises(DomainError, match=f"rang 1 est déjà donné à « {taken} »"):
        record(kit, second, staff, hearing_rank=1)
    with pytest.raises(DomainError, match="Le rang va de 1 à 2"):
        record(kit, second, staff, hearing_rank=3)

    record(kit, second, staff, hearing_rank=2)
    # Recording the same dossier again keeps its own rank free for itself.
    record(kit, first, staff, hearing_rank=1, justification="Avis revu après discussion.")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"justification": "   "}, "Justifiez"),
        ({"justification": "x" * 1001}, "1000 caractères au plus"),
        ({"opinion": "maybe"}, "favorable ou défavorable"),
    ],
)
def test_review_record_hearing_refuses_bad_input(kit, jury, staff, kwargs, message):
    _dossier, slot = heard_dossier(kit, jury, staff)
    review = kit.domain.review_model.objects.get(slot=slot)

    with pytest.raises(DomainError, match=message):
        record(kit, review, staff, **kwargs)

    review.refresh_from_db()
    assert review.heard_at is None


def test_review_record_hearing_refuses_outsiders_and_conflicts(kit, jury, staff):
    group, (first, _second) = two_dossiers_in_one_group(kit, jury, staff)
    outsider = jury.members.exclude(pk__in=group.members.all()).first()
    member = group.members.first()
    kit.domain.conflict_model.objects.create(
        member=member,
        reason="Ancien collègue",
        **{kit.domain.dossier_field: getattr(first, kit.domain.dossier_field)},
    )

    with pytest.raises(DomainError, match="Seuls les membres du groupe"):
        record(kit, first, outsider.user)
    with pytest.raises(DomainError, match="conflit d'intérêts"):
        record(kit, first, member.user)


def test_review_record_hearing_refuses_a_member_in_automatic_conflict(kit, jury, staff):
    group, (first, _second) = two_dossiers_in_one_group(kit, jury, staff)
    conflicted = kit.conflicting_member(jury, getattr(first, kit.domain.dossier_field))
    group.members.add(conflicted)

    with pytest.raises(DomainError, match="conflit d'intérêts"):
        record(kit, first, conflicted.user)


# --- Decisions ---------------------------------------------------------------------------


def decide(kit, jury, dossier, staff, decision, motivation="Le jury a préféré d'autres dossiers."):
    return decisions.review_decide(
        domain=kit.domain,
        jury=jury,
        dossier=dossier,
        decision=decision,
        motivation=motivation,
        actor=staff,
    )


@pytest.mark.parametrize(
    ("decision", "subject"),
    [
        ("selected", "est retenu"),
        ("waiting_list", "est sur liste d’attente"),
        ("not_selected", "n’est pas retenu"),
    ],
)
def test_review_decide_moves_the_dossier_and_mails_it(
    kit, jury, staff, django_capture_on_commit_callbacks, decision, subject
):
    dossier, _slot = heard_dossier(kit, jury, staff)

    with django_capture_on_commit_callbacks(execute=True):
        review = decide(kit, jury, dossier, staff, decision, "Impact fort, équipe engagée.")

    assert kit.state(dossier) == decision
    assert kit.transitions(dossier)[-1] == (SHORTLISTED, decision)
    assert (review.decision, review.decided_by) == (decision, staff)
    assert len(mail.outbox) == 1
    assert subject in mail.outbox[0].subject
    assert mail.outbox[0].to == [kit.owner_email(dossier)]
    assert "Impact fort, équipe engagée." in mail.outbox[0].body


def test_review_decide_directly_from_submitted(kit, jury, staff):
    dossier = kit.dossier(jury)

    decide(kit, jury, dossier, staff, "not_selected")

    assert kit.state(dossier) == NOT_SELECTED
    assert kit.transitions(dossier)[-1] == (SUBMITTED, NOT_SELECTED)


def test_review_decide_waiting_list_then_selected(
    kit, jury, staff, django_capture_on_commit_callbacks
):
    dossier = kit.dossier(jury)
    decide(kit, jury, dossier, staff, "waiting_list")

    with django_capture_on_commit_callbacks(execute=True):
        decide(kit, jury, dossier, staff, "selected", "")

    assert kit.state(dossier) == SELECTED
    assert kit.transitions(dossier)[-2:] == [
        (SUBMITTED, WAITING_LIST),
        (WAITING_LIST, SELECTED),
    ]
    assert "jusqu’ici sur liste d’attente" in mail.outbox[-1].body


@pytest.mark.parametrize("first", ["selected", "not_selected"])
def test_review_decide_is_final(kit, jury, staff, first):
    dossier = kit.dossier(jury)
    decide(kit, jury, dossier, staff, first)

    for other in ("selected", "waiting_list", "not_selected"):
        with pytest.raises(InvalidTransition, match="est déjà prise"):
            decide(kit, jury, dossier, staff, other)

    assert kit.state(dossier) == first


@pytest.mark.parametrize("decision", ["waiting_list", "not_selected"])
def test_review_decide_needs_a_motivation(kit, jury, staff, decision):
    dossier = kit.dossier(jury)

    with pytest.raises(DomainError, match="Motivez la décision"):
        decide(kit, jury, dossier, staff, decision, "  ")

    assert kit.state(dossier) == SUBMITTED
    assert len(mail.outbox) == 0


def test_review_decide_refuses_a_withdrawn_dossier(kit, jury, staff):
    dossier = kit.dossier(jury)
    kit.set_state(dossier, WITHDRAWN)

    with pytest.raises(DomainError):
        decide(kit, jury, dossier, staff, "selected", "")


# --- Decision record ---------------------------------------------------------------------


def pdf_text(record) -> str:
    with record.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


def decided_jury(kit, jury, staff):
    names = {
        "selected": "Données des collectivités locales",
        "waiting_list": "Portail de la langue française",
        "not_selected": "Assistant des déclarations sociales",
    }
    for decision, name in names.items():
        decide(kit, jury, kit.dossier(jury, name=name), staff, decision)
    kit.dossier(jury, name="Dossier encore en discussion")
    return names


def test_decision_record_request_renders_the_pdf(
    kit, jury, staff, django_capture_on_commit_callbacks
):
    names = decided_jury(kit, jury, staff)

    with django_capture_on_commit_callbacks(execute=True):
        record = decisions.decision_record_request(domain=kit.domain, jury=jury, actor=staff)

    record.refresh_from_db()
    assert record.version == 1
    assert record.rendered_at is not None
    with record.pdf.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF")
    assert record.checksum == hashlib.sha256(content).hexdigest()
    text = " ".join(pdf_text(record).split())
    for name in names.values():
        assert name in text
    for label in ("Retenu", "Liste d'attente", "Non retenu", "Sans décision"):
        assert label in text
    assert "Le jury a préféré d'autres dossiers." in text
    assert str(kit.call(jury)) in text
    assert "Composition du jury" in text
    # The record speaks of the domain's dossiers, in its words.
    assert f"Sélection des {kit.domain.nouns.plural}" in text
    assert kit.domain.holder_label in text


def test_decision_record_versions_grow(kit, jury, staff, django_capture_on_commit_callbacks):
    decided_jury(kit, jury, staff)

    with django_capture_on_commit_callbacks(execute=True):
        decisions.decision_record_request(domain=kit.domain, jury=jury, actor=staff)
        decisions.decision_record_request(domain=kit.domain, jury=jury, actor=staff)

    records = list(DecisionRecord.objects.filter(jury=jury).order_by("version"))
    assert [r.version for r in records] == [1, 2]
    assert records[0].pdf.name != records[1].pdf.name


def test_decision_record_request_refused_without_decisions(kit, jury, staff):
    kit.dossier(jury)

    with pytest.raises(DomainError, match="Aucune décision"):
        decisions.decision_record_request(domain=kit.domain, jury=jury, actor=staff)

    assert not DecisionRecord.objects.exists()


def test_render_task_retried_keeps_one_file(kit, jury, staff, django_capture_on_commit_callbacks):
    decided_jury(kit, jury, staff)
    with django_capture_on_commit_callbacks(execute=True):
        record = decisions.decision_record_request(domain=kit.domain, jury=jury, actor=staff)
    record.refresh_from_db()
    name, checksum, rendered_at = record.pdf.name, record.checksum, record.rendered_at

    render_decision_record.delay(record_id=record.pk, domain=kit.domain.import_path)

    record.refresh_from_db()
    assert (record.pdf.name, record.checksum, record.rendered_at) == (name, checksum, rendered_at)
    folder = os.path.dirname(record.pdf.path)
    assert os.listdir(folder) == [os.path.basename(name)]


def test_render_after_a_crash_replaces_the_file_left_behind(kit, jury, staff):
    decided_jury(kit, jury, staff)
    record = DecisionRecord.objects.create(jury=jury, version=1, created_by=staff)
    # A first attempt wrote its file, then failed before saving the record.
    left = decision_record_render(domain=kit.domain, record_id=record.pk)
    DecisionRecord.objects.filter(pk=record.pk).update(rendered_at=None, checksum="", pdf="")

    rendered = decision_record_render(domain=kit.domain, record_id=record.pk)

    assert rendered.pdf.name == left.pdf.name
    assert os.listdir(os.path.dirname(rendered.pdf.path)) == [os.path.basename(left.pdf.name)]
    with rendered.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == rendered.checksum


def test_decision_record_left_undone_by_a_broker_down_is_rendered_by_the_sweep(
    kit, jury, staff, broker_down, django_capture_on_commit_callbacks
):
    dossier = kit.dossier(jury)
    decisions.review_decide(
        domain=kit.domain,
        jury=jury,
        dossier=dossier,
        decision="selected",
        motivation="",
        actor=staff,
    )
    with django_capture_on_commit_callbacks(execute=True):
        record = decisions.decision_record_request(domain=kit.domain, jury=jury, actor=staff)
    record.refresh_from_db()
    assert record.rendered_at is None
    broker_down.returns()

    later = timezone.now() + datetime.timedelta(minutes=11)
    assert decisions.decision_records_requeue_unrendered(domain=kit.domain) == 0
    assert decisions.decision_records_requeue_unrendered(domain=kit.domain, now=later) == 1

    record.refresh_from_db()
    assert record.pdf.read(4) == b"%PDF"
    assert decisions.decision_records_requeue_unrendered(domain=kit.domain, now=later) == 0


# --- Who may act: each service asks the rule of eig/jury/rules.py, whoever calls it ------


def _written(kit, jury) -> tuple:
    """What a refused step must leave as it found it: the history, the jury's reviews and
    dossiers, its slots and decision records, the outbox."""
    review_fields = ("pk", "shortlisted_at", "slot_id", "convoked_at", "opinion", "decision")
    return (
        Event.objects.count(),
        sorted(kit.domain.review_model.objects.filter(jury=jury).values_list(*review_fields)),
        sorted(kit.domain.dossiers(jury).values_list("pk", kit.domain.state_field)),
        HearingSlot.objects.filter(jury=jury).count(),
        DecisionRecord.objects.filter(jury=jury).count(),
        OutboxMessage.objects.count(),
    )


# Each staff step, on a jury where it succeeds for staff (`deliberating`).
STAFF_STEPS = {
    "review_shortlist": lambda kit, at, actor: preselection.review_shortlist(
        domain=kit.domain, jury=at["jury"], dossier=at["fresh"], actor=actor
    ),
    "review_unshortlist": lambda kit, at, actor: preselection.review_unshortlist(
        domain=kit.domain, jury=at["jury"], dossier=at["heard"], actor=actor
    ),
    "review_assign_slot": lambda kit, at, actor: hearings.review_assign_slot(
        domain=kit.domain, jury=at["jury"], dossier=at["heard"], slot=None, actor=actor
    ),
    "hearing_convoke": lambda kit, at, actor: hearings.hearing_convoke(
        domain=kit.domain, jury=at["jury"], actor=actor
    ),
    "hearing_slot_delete": lambda kit, at, actor: hearings.hearing_slot_delete(
        domain=kit.domain, slot=at["slot"], actor=actor
    ),
    "review_decide": lambda kit, at, actor: decisions.review_decide(
        domain=kit.domain,
        jury=at["jury"],
        dossier=at["heard"],
        decision=SELECTED,
        motivation="",
        actor=actor,
    ),
    "decision_record_request": lambda kit, at, actor: decisions.decision_record_request(
        domain=kit.domain, jury=at["jury"], actor=actor
    ),
}


@pytest.fixture
def deliberating(kit, jury, staff):
    """A jury in the middle of its work: a dossier shortlisted with a slot, not convoked
    yet; one still submitted; one decided."""
    heard, slot = heard_dossier(kit, jury, staff)
    fresh = kit.dossier(jury)
    decide(kit, jury, kit.dossier(jury), staff, NOT_SELECTED)
    return {"jury": jury, "heard": heard, "slot": slot, "fresh": fresh}


@pytest.mark.parametrize("step", STAFF_STEPS)
def test_staff_steps_refused_to_non_staff_write_nothing(kit, deliberating, step):
    jury = deliberating["jury"]
    # A juror of the dossier's own hearing group, and an agent: neither is staff.
    for actor in (deliberating["slot"].group.members.first().user, AgentFactory()):
        before = _written(kit, jury)

        with pytest.raises(DomainError, match="Seule l'équipe du programme peut") as refused:
            STAFF_STEPS[step](kit, deliberating, actor)

        assert refused.value.code == "not_staff"
        assert _written(kit, jury) == before


@pytest.mark.parametrize("step", STAFF_STEPS)
def test_staff_steps_write_for_staff(kit, deliberating, staff, step):
    # The same setting lets staff through, and each step then writes: "nothing written"
    # above is the refusal's doing.
    before = _written(kit, deliberating["jury"])

    STAFF_STEPS[step](kit, deliberating, staff)

    assert _written(kit, deliberating["jury"]) != before


@pytest.mark.parametrize("who", ["outsider", "declared conflict", "deactivated account"])
def test_review_record_hearing_refused_writes_nothing(kit, jury, staff, who):
    group, (first, _second) = two_dossiers_in_one_group(kit, jury, staff)
    actor = group.members.first().user
    if who == "outsider":
        actor = jury.members.exclude(pk__in=group.members.all()).first().user
    elif who == "declared conflict":
        kit.domain.conflict_model.objects.create(
            member=group.members.first(),
            reason="Ancien collègue",
            **{kit.domain.dossier_field: kit.domain.dossier_of(first)},
        )
    else:
        actor.is_active = False
        actor.save(update_fields=["is_active"])
    before = _written(kit, jury)

    with pytest.raises(DomainError) as refused:
        record(kit, first, actor)

    assert refused.value.code == "forbidden"
    if who == "deactivated account":
        assert "Seuls l'équipe du programme et les membres du groupe" in refused.value.message
    assert _written(kit, jury) == before
    first.refresh_from_db()
    assert (first.opinion, first.heard_at) == ("", None)


# The juror's dashboard is a page of projects until the jury screens move to eig/jury: défis
# only for now.
def test_juror_dashboard_lists_the_hearings_of_their_group(staff, client):
    kit = KITS["defis"]
    jury = kit.jury(closed=True, jurors=4)
    defi, slot = heard_dossier(kit, jury, staff)
    member = slot.group.members.first()
    outsider = jury.members.exclude(pk__in=slot.group.members.all()).first()
    client.force_login(member.user)

    content = client.get(reverse("jury:dashboard")).content.decode()

    assert "Mes auditions" in content
    assert reverse("jury:selection_hearing_record", args=[jury.pk, defi.pk]) in content
    if outsider is not None:
        client.force_login(outsider.user)
        assert "Mes auditions" not in client.get(reverse("jury:dashboard")).content.decode()
