"""The one history (`eig.history`): its service and selectors, the French names of its
codes, what each state change records, the admin's history block, and the records that no
cascade may delete."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from eig.exceptions import DomainError
from eig.history import labels
from eig.history.models import NOTE_MAX, Event
from eig.history.selectors import history_attach, history_for, history_latest
from eig.history.services import record, record_many
from eig.jury import decisions, hearings, services
from eig.jury import shortlist as preselection
from eig.jury.models import JuryMember
from eig.programme.models import AdministrationMembership
from funding.models import ConventionVersion
from funding.services import amendments, preparation
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation, DefiReview
from tests.factories import (
    AgentFactory,
    ClosedProjectCallFactory,
    DefiFactory,
    StaffFactory,
    funded_promotion,
    jury_for_call,
    ministry,
    name_signatories,
    selected_defi,
    submitted_defi,
)

pytestmark = pytest.mark.django_db


# --- Service and selectors -----------------------------------------------------------------


def test_record_writes_who_when_from_to_why():
    defi, staff = DefiFactory(), StaffFactory()
    at = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)

    event = record(
        defi,
        action=Defi.Action.WITHDRAWN,
        actor=staff,
        from_state="draft",
        to_state="withdrawn",
        note="  Doublon  ",
        at=at,
        data={"version": 2},
    )

    event = Event.objects.get(pk=event.pk)
    assert event.subject == defi
    assert (event.action, event.from_state, event.to_state) == ("withdrawn", "draft", "withdrawn")
    assert (event.actor, event.at, event.note, event.data) == (staff, at, "Doublon", {"version": 2})


def test_record_cuts_a_long_note_rather_than_refusing_the_change():
    event = record(DefiFactory(), action="created", actor=None, note="x" * (NOTE_MAX + 50))

    assert len(event.note) == NOTE_MAX


def test_history_for_is_the_subjects_own_history_oldest_first():
    defi, other = DefiFactory(), DefiFactory()  # each starts with its "created" event
    later = record(defi, action=Defi.Action.WITHDRAWN, actor=None, to_state="withdrawn")
    record(other, action=Defi.Action.WITHDRAWN, actor=None)
    # Same id, another kind of object: not the défi's history.
    record(AgentFactory(), action="anything", actor=None)

    events = list(history_for(defi))

    assert [e.action for e in events] == ["created", "withdrawn"]
    assert events[-1] == later
    assert all(e.subject_id == defi.pk for e in events)


@pytest.mark.parametrize("count", [1, 3])
def test_history_attach_reads_a_list_in_one_query(count, django_assert_num_queries):
    defis = [DefiFactory() for _ in range(count)]
    record_many(defis, action=Defi.Action.WITHDRAWN, actor=None, to_state="withdrawn")

    with django_assert_num_queries(1):
        history_attach(defis)
        labels_read = [[e.get_action_display() for e in defi.history] for defi in defis]

    assert labels_read == [["Création", "Retrait"]] * count


def test_history_latest_of_a_kind_and_action_newest_first():
    first, second = DefiFactory(), DefiFactory()
    record(first, action=Defi.Action.WITHDRAWN, actor=None)
    record(second, action=Defi.Action.WITHDRAWN, actor=None)

    latest = list(history_latest(Defi, action=Defi.Action.WITHDRAWN))

    assert [e.subject_id for e in latest] == [second.pk, first.pk]


def test_labels_are_french_and_unknown_codes_show_as_they_are():
    membership_event = record(
        AgentFactory().memberships.get(),
        action=AdministrationMembership.Action.ENDED,
        actor=None,
        from_state="verified",
        to_state="ended",
    )
    evaluation_label = labels.action_label(DefiEvaluation, "juror_reopened")

    assert membership_event.get_action_display() == "Fin du rattachement"
    assert membership_event.get_from_state_display() == "Membre vérifié"
    assert membership_event.get_to_state_display() == "Terminé"
    # Registered once on the engine's abstract model, for every domain's evaluations.
    assert evaluation_label == "Rouverte par le juré pour la mettre à jour"
    assert labels.action_label(Defi, "not_a_code") == "not_a_code"
    assert labels.state_label(Defi, "") == ""


def test_history_outlives_its_subject():
    jury = jury_for_call(ClosedProjectCallFactory(), jurors=1)
    defi = submitted_defi(jury.project_call)
    staff = StaffFactory()
    evaluation = services.evaluation_assign(
        domain=DEFI_JURY, member=jury.members.get(), dossier=defi, actor=staff
    )

    services.evaluation_unassign(domain=DEFI_JURY, evaluation=evaluation, actor=staff)

    assert not DefiEvaluation.objects.filter(pk=evaluation.pk).exists()
    events = history_latest(DefiEvaluation).filter(subject_id=evaluation.pk)
    assert list(events.order_by("at", "pk").values_list("action", "actor")) == [
        ("assigned", staff.pk),
        ("unassigned", staff.pk),
    ]


# --- What the jury's steps record ----------------------------------------------------------


@pytest.fixture
def jury():
    return jury_for_call(ClosedProjectCallFactory(), jurors=4)


def _slot(jury, hour=9):
    group = hearings.jury_group_create(
        jury=jury, name=f"Groupe de {hour} h", members=list(jury.members.all())[:2]
    )
    start = datetime.datetime(2026, 3, 24, hour, 0, tzinfo=datetime.UTC)
    return hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="Salle 4.02",
    )


def _review_history(defi):
    return list(
        history_for(DefiReview.objects.get(defi=defi)).values_list(
            "action", "from_state", "to_state", "actor"
        )
    )


def test_review_steps_are_recorded(jury, django_capture_on_commit_callbacks):
    staff = StaffFactory()
    defi = submitted_defi(jury.project_call)
    slot = _slot(jury)
    kwargs = {"domain": DEFI_JURY, "jury": jury, "dossier": defi, "actor": staff}

    preselection.review_shortlist(**kwargs, questions="Quelles données ?")
    hearings.review_assign_slot(**kwargs, slot=slot)
    with django_capture_on_commit_callbacks(execute=True):
        hearings.hearing_convoke(domain=DEFI_JURY, jury=jury, actor=staff)
    review = DefiReview.objects.get(defi=defi)
    hearings.review_record_hearing(
        domain=DEFI_JURY,
        review=review,
        actor=staff,
        opinion="favourable",
        hearing_rank=1,
        favourite=True,
        justification="Équipe solide.",
    )
    decisions.review_decide(**kwargs, decision="waiting_list", motivation="Presque.")
    decisions.review_decide(**kwargs, decision="selected", motivation="")

    assert _review_history(defi) == [
        ("shortlisted", "", "", staff.pk),
        ("slot_assigned", "", "", staff.pk),
        ("convoked", "", "", staff.pk),
        ("opinion_recorded", "", "favourable", staff.pk),
        ("decided", "", "waiting_list", staff.pk),
        ("decision_changed", "waiting_list", "selected", staff.pk),
    ]
    events = list(history_for(review))
    assert events[1].data["slot"] == slot.pk
    assert events[3].note == "Équipe solide." and events[3].data == {"rank": 1, "favourite": True}
    assert events[4].note == "Presque."
    assert [e.get_action_display() for e in events[-2:]] == ["Décision prise", "Décision modifiée"]


def test_unshortlist_and_slot_release_are_recorded(jury):
    staff = StaffFactory()
    defi = submitted_defi(jury.project_call)
    first, second = _slot(jury), _slot(jury, hour=10)
    kwargs = {"domain": DEFI_JURY, "jury": jury, "dossier": defi, "actor": staff}
    preselection.review_shortlist(**kwargs)
    hearings.review_assign_slot(**kwargs, slot=first)

    hearings.review_assign_slot(**kwargs, slot=second)
    second_pk = second.pk
    hearings.hearing_slot_delete(domain=DEFI_JURY, slot=second, actor=staff)
    preselection.review_unshortlist(**kwargs)

    assert [action for action, *_ in _review_history(defi)] == [
        "shortlisted",
        "slot_assigned",
        "slot_released",
        "slot_assigned",
        "slot_released",
        "unshortlisted",
    ]
    released = history_for(DefiReview.objects.get(defi=defi)).filter(action="slot_released")
    assert [e.data["slot"] for e in released] == [first.pk, second_pk]
    assert released.last().note == "Créneau supprimé"


def test_assignment_withdrawal_and_draft_scores_are_recorded(jury):
    staff = StaffFactory()
    defi = submitted_defi(jury.project_call)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DefiEvaluation.objects.filter(defi=defi).first()
    member = evaluation.member
    criterion = jury.criteria.first()
    services.evaluation_save(
        domain=DEFI_JURY,
        evaluation=evaluation,
        actor=member.user,
        version=0,
        scores={criterion.pk: (3, "Bien")},
        overall_comment="",
    )

    services.member_withdraw(domain=DEFI_JURY, member=member, actor=staff)

    assert list(history_for(member).values_list("action", "actor")) == [("withdrawn", staff.pk)]
    assert history_for(member).get().get_action_display() == "Retrait du jury"
    gone = history_latest(DefiEvaluation, action="unassigned").get(subject_id=evaluation.pk)
    assert (gone.from_state, gone.actor, gone.note) == ("draft", staff, "Retrait du juré")
    assert gone.data["draft_scores"][str(criterion.pk)] == [3, "Bien"]
    assert len(gone.data["draft_scores"]) == jury.criteria.count()
    # The dossier went to another juror, with its "assigned" event.
    replacement = DefiEvaluation.objects.filter(defi=defi).exclude(member=member).latest("pk")
    assert history_for(replacement).first().action == "assigned"


def test_convention_rewrites_line_removals_and_signatories_are_recorded():
    promotion = funded_promotion("6", envelope=Decimal("200000.00"))
    signatory = ministry()
    selected_defi(promotion, signatory, positions=2)
    staff = StaffFactory()
    convention = preparation.convention_prepare(
        promotion=promotion, administration=signatory, actor=staff
    )
    name_signatories(convention, staff)
    version = convention.versions.get()
    line = convention.lines.get(rank=2)
    first = convention.lines.get(rank=1)
    lower = promotion.salary_bands.order_by("min_years").first()

    amendments.convention_update(
        convention=convention,
        actor=staff,
        lines={
            first.pk: {"salary_band": lower.pk, "work_time": 100},
            line.pk: {"salary_band": line.salary_band_id, "remove": True},
        },
        reason="Poste non pourvu",
    )

    events = list(history_for(version))
    assert [e.action for e in events] == [
        "draft",
        "signatories_changed",
        "line_removed",
        "rewritten",
    ]
    assert events[1].data["signatory"]["après"] == "La secrétaire générale, Camille Martin"
    assert events[2].data["rank"] == 2 and "Poste non pourvu" in events[2].note
    assert events[3].data["eig_count"] == {"avant": "2", "après": "1"}
    assert [e.get_action_display() for e in events] == [
        "Convention préparée",
        "Signataires modifiés",
        "Ligne retirée",
        "Brouillon réécrit",
    ]


# --- Staff read it in the admin ------------------------------------------------------------


def test_admin_membership_page_shows_its_history(client):
    staff = StaffFactory()
    membership = AgentFactory().memberships.get()
    client.force_login(staff)

    response = client.get(
        reverse("admin:programme_administrationmembership_change", args=[membership.pk])
    )

    assert response.status_code == 200
    assert [e.action for e in response.context["history_events"]] == ["verified"]
    assert "Vérification" in response.content.decode()
    assert 'class="history-events"' in response.content.decode()


def test_admin_administration_page_lists_its_members_history(client):
    staff = StaffFactory()
    agent = AgentFactory()
    client.force_login(staff)

    response = client.get(
        reverse("admin:programme_administration_change", args=[agent.administration_id])
    )

    text = response.content.decode()
    assert response.status_code == 200
    assert "Derniers changements" in text and str(agent) in text and "Vérification" in text


# --- Nothing lost by cascade ---------------------------------------------------------------

# Models whose rows record what happened: no deletion of a parent may take them along.
RECORDS = {
    "history.Event",
    "projects.DefiVersion",
    "projects.DefiEvaluation",
    "projects.DefiScore",
    "projects.DefiConflict",
    "projects.DefiReview",
    "jury.JuryMember",
    "jury.DecisionRecord",
    "funding.Convention",
    "funding.ConventionLine",
    "funding.ConventionVersion",
    "programme.AdministrationMembership",
    "notifications.OutboxMessage",
}
# Every cascade left in the project's models, and why it deletes nothing worth keeping. A
# new cascade (or a new model with one) fails the test until it is listed here or protected.
CASCADES_ALLOWED = {
    ("programme.SalaryBand", "promotion"): "the promotion's configuration",
    ("programme.ContractFrame", "promotion"): "the promotion's configuration",
    ("programme.FundingRule", "promotion"): "the promotion's configuration",
    ("notifications.Reminder", "recipient"): "personal data, erased with the account",
    ("notifications.OutboxAttachment", "message"): "part of its message",
    ("jury.Criterion", "jury"): "the jury's grid; scores protect the criteria they use",
    ("jury.JuryStage", "jury"): "the jury's organisation; evaluations and reviews protect "
    "the stages they belong to",
    ("jury.JuryGroup", "jury"): "the jury's organisation; reviews keep their history",
    ("jury.HearingSlot", "jury"): "the jury's organisation; reviews keep their history",
    ("jury.DossierAggregate", "jury"): "figures derived from the scores, rebuilt at will",
    ("jury.DossierAggregate", "stage"): "figures derived from the scores, rebuilt at will",
    ("projects.DefiPosition", "defi"): "part of the défi's text; versions keep it",
    ("projects.DefiInvitation", "defi"): "an invitation to co-edit, no decision",
    ("candidates.ApplicationSearch", "application"): "the talent pool's search index, derived "
    "from the application's answers (the services write it with them)",
}
PROJECT_APPS = {
    "accounts",
    "programme",
    "notifications",
    "history",
    "jury",
    "projects",
    "candidates",
    "missions",
    "funding",
}


def test_no_record_is_deleted_by_cascade():
    cascades = set()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.concrete_fields:
            if field.remote_field and field.remote_field.on_delete is models.CASCADE:
                cascades.add((model._meta.label, field.name))

    from_records = sorted((label, name) for label, name in cascades if label in RECORDS)
    unlisted = sorted(cascades - set(CASCADES_ALLOWED))
    assert from_records == []
    assert unlisted == []
    assert not set(CASCADES_ALLOWED) & {(label, "") for label in RECORDS}


def test_history_has_no_foreign_key_to_its_subject():
    # A generic reference: deleting a subject (or its parents) leaves its events.
    foreign_keys = {
        field.name: field.remote_field.on_delete
        for field in Event._meta.concrete_fields
        if field.remote_field
    }

    assert foreign_keys == {"subject_type": models.PROTECT, "actor": models.SET_NULL}


@pytest.mark.parametrize(
    ("model", "code", "label"),
    [
        (Defi, "submitted", "Dépôt"),
        (DefiEvaluation, "unassigned", "Désaffectée"),
        (DefiReview, "convoked", "Convoqué à l'audition"),
        (JuryMember, "withdrawn", "Retrait du jury"),
        (ConventionVersion, "sent", "Convention envoyée"),
        (AdministrationMembership, "signatory_set", "Désigné signataire"),
    ],
)
def test_every_kind_with_history_names_its_actions_in_french(model, code, label):
    assert labels.action_label(model, code) == label


def test_personal_data_export_lists_the_persons_own_actions(client):
    agent = AgentFactory()
    defi = DefiFactory(owner=agent, administration=agent.administration)
    record(defi, action=Defi.Action.WITHDRAWN, actor=StaffFactory(), note="Par l'équipe")
    client.force_login(agent)

    data = client.get(reverse("accounts:personal_data_export")).json()

    assert [(e["objet"], e["action"], e["vers"]) for e in data["historique_de_vos_actions"]] == [
        ("défi", "Création", "draft")
    ]


def test_hearing_groups_and_slots_keep_their_history_after_they_are_deleted(jury):
    staff = StaffFactory()
    members = list(jury.members.order_by("pk"))
    group = hearings.jury_group_create(jury=jury, name="Groupe A", members=members[:2], actor=staff)
    hearings.jury_group_update(group=group, name="Groupe B", members=members[1:3], actor=staff)
    start = datetime.datetime(2026, 3, 24, 9, 0, tzinfo=datetime.UTC)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="Salle 4.02",
        actor=staff,
    )
    slot_pk, group_pk = slot.pk, group.pk
    hearings.hearing_slot_delete(domain=DEFI_JURY, slot=slot, actor=staff)
    hearings.jury_group_delete(group=group, actor=staff)

    group_events = Event.objects.filter(
        subject_type__model="jurygroup", subject_id=group_pk
    ).order_by("pk")
    assert [(e.action, e.actor_id) for e in group_events] == [
        ("created", staff.pk),
        ("updated", staff.pk),
        ("deleted", staff.pk),
    ]
    updated = group_events[1].data
    assert updated["before"] == {"name": "Groupe A", "members": [m.pk for m in members[:2]]}
    assert updated["after"] == {"name": "Groupe B", "members": [m.pk for m in members[1:3]]}
    slot_events = Event.objects.filter(subject_type__model="hearingslot", subject_id=slot_pk)
    assert [e.action for e in slot_events.order_by("pk")] == ["created", "deleted"]
    assert labels.action_label(type(group), "deleted") == "Suppression du groupe"


def test_only_staff_compose_hearing_groups(jury):
    juror = jury.members.first().user
    with pytest.raises(DomainError) as error:
        hearings.jury_group_create(jury=jury, name="Groupe", members=[], actor=juror)
    assert error.value.code == "not_staff"
    assert not jury.groups.exists()
