"""State changes of calls for projects and défis.

Every move of a défi goes through `_defi_transition`, which checks the deadline and the
allowed moves, records a history event (`eig.history`) and saves with update_fields.
"""

import datetime
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from eig.accounts.models import Role, User
from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.models import Event
from eig.history.services import record, record_many
from eig.jury.models import EvaluationAction
from eig.jury.registry import domain_for
from eig.jury.services import jury_aggregates_refresh
from eig.notifications.services import email_queue, reminder_send_once
from eig.permissions import ensure_perm
from eig.programme.french import of_name, the_name
from eig.programme.models import ContractFrame, SalaryBand, WorkTime
from eig.programme.services import membership_join_by_invitation
from projects.models import (
    Defi,
    DefiEvaluation,
    DefiInvitation,
    DefiPosition,
    DefiVersion,
    ProjectCall,
)
from projects.selectors.defis import JURY_STATES, defi_missing_sections, defi_recipients
from projects.versions import defi_snapshot, version_changes

PARIS = ZoneInfo("Europe/Paris")
State = Defi.State

# Moves an agent can make while the call is open. The selection moves (shortlisted,
# selected…) are made by the jury's services.
AGENT_TRANSITIONS = {
    "submit": ({State.DRAFT}, State.SUBMITTED),
    "reopen": ({State.SUBMITTED}, State.DRAFT),
    "withdraw": ({State.DRAFT, State.SUBMITTED}, State.WITHDRAWN),
    "restore": ({State.WITHDRAWN}, State.DRAFT),
}
# The history's name of each agent move.
AGENT_ACTIONS = {
    "submit": Defi.Action.SUBMITTED,
    "reopen": Defi.Action.REOPENED,
    "withdraw": Defi.Action.WITHDRAWN,
    "restore": Defi.Action.RESTORED,
}


NOT_EDITOR = "Seuls l'auteur du défi et les co-rédacteurs qu'il a invités le modifient."


def _ensure_editor(defi: Defi, actor: User, perm: str = "projects.edit_defi") -> None:
    ensure_perm(actor, perm, defi, message=NOT_EDITOR, code="not_editor")


def _ensure_call_open(call: ProjectCall, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    if now < call.opens_at:
        raise DeadlinePassed(
            f"L'appel « {call} » ouvre le {call.opens_at.astimezone(PARIS):%d/%m/%Y à %H:%M} : "
            "rien ne peut être déposé avant.",
            code="not_open",
        )
    if now >= call.closes_at:
        raise DeadlinePassed(
            f"L'appel « {call} » est clos depuis le "
            f"{call.closes_at.astimezone(PARIS):%d/%m/%Y à %H:%M} (heure de Paris) : "
            "le défi ne peut plus être modifié.",
            code="closed",
        )


def _defi_transition(
    *, defi: Defi, action: str, actor: User, note: str = "", now: datetime.datetime | None = None
) -> Event:
    allowed_from, target = AGENT_TRANSITIONS[action]
    _ensure_editor(defi, actor, f"projects.{action}_defi")
    _ensure_call_open(defi.call, now)
    if defi.state not in allowed_from:
        raise InvalidTransition(
            f"Un défi à l'état « {defi.get_state_display()} » ne peut pas passer à l'état "
            f"« {State(target).label} ».",
            code="transition",
        )
    previous = defi.state
    defi.state = target
    fields = ["state", "updated_at"]
    if target == State.SUBMITTED:
        defi.submitted_at = now or timezone.now()
        fields.append("submitted_at")
    defi.save(update_fields=fields)
    _jury_figures_follow(defi, previous)
    return record(
        defi,
        action=AGENT_ACTIONS[action],
        from_state=previous,
        to_state=target,
        actor=actor,
        note=note,
        at=now,
    )


def _jury_figures_follow(defi: Defi, previous: str) -> None:
    """A défi entering or leaving its jury's dossiers (reopened, withdrawn, submitted again
    while the call is open) changes its figures and, through its jurors' means and
    deviations, the normalised score of their other dossiers: the stored figures follow."""
    jury = defi.call.jury
    if jury is None or (previous in JURY_STATES) == (defi.state in JURY_STATES):
        return
    members = DefiEvaluation.objects.filter(defi=defi).values_list("member_id", flat=True)
    jury_aggregates_refresh(
        domain=domain_for(jury), jury=jury, dossier_ids=[defi.pk], member_ids=list(members)
    )


@transaction.atomic
def defi_create(*, call: ProjectCall, author: User, title: str = "") -> Defi:
    """Start a draft défi for the author's administration. Refused when the call is closed."""
    ensure_perm(
        author,
        "projects.start_defi",
        call,
        message="Rattachez d'abord votre compte à votre administration.",
        code="no_administration",
    )
    _ensure_call_open(call)
    defi = Defi.objects.create(
        call=call,
        administration_id=author.administration_id,
        owner=author,
        title=title,
        porteur_name=author.get_full_name(),
        porteur_job=author.job_title,
        porteur_email=author.email,
        porteur_phone=author.phone,
    )
    record(defi, action=Defi.Action.CREATED, to_state=State.DRAFT, actor=author)
    return defi


def _lock_editable(defi: Defi, actor: User) -> Defi:
    """Lock the défi's row and return it fresh, if the actor may still edit it. The caller's
    copy may be stale: a co-editor may have submitted the défi in between."""
    locked = Defi.objects.select_for_update().select_related("call").get(pk=defi.pk)
    _ensure_editor(locked, actor)
    _ensure_call_open(locked.call)
    if locked.state != State.DRAFT:
        raise InvalidTransition(
            "Ce défi n'est plus un brouillon : rouvrez-le pour le modifier.", code="not_draft"
        )
    return locked


@transaction.atomic
def defi_update_section(*, defi: Defi, actor: User, data: dict) -> Defi:
    """Save the fields of one section of the draft (the form has validated them)."""
    defi = _lock_editable(defi, actor)
    for field, value in data.items():
        setattr(defi, field, value)
    defi.save(update_fields=[*data.keys(), "updated_at"])
    return defi


@transaction.atomic
def defi_set_positions(*, defi: Defi, actor: User, positions: list[dict]) -> list[DefiPosition]:
    """Replace the EIG positions sought by the défi (1 to 3, ranked in the given order).

    Each position is `specialty`, `missions`, `skills` and, for the financial simulation,
    `salary_band` (the pk of a band of the défi's promotion, or None when the agent does not
    know yet) and `work_time` (100, or 80 where the promotion's contract frame allows it)."""
    defi = _lock_editable(defi, actor)
    if len(positions) > 3:
        raise DomainError("Un défi accueille au plus trois EIG.", code="too_many_positions")
    rows = [
        DefiPosition(
            defi=defi,
            rank=rank,
            specialty=position["specialty"],
            missions=position.get("missions", ""),
            skills=position.get("skills", ""),
            salary_band_id=position.get("salary_band"),
            work_time=position.get("work_time") or WorkTime.FULL,
        )
        for rank, position in enumerate(positions, start=1)
    ]
    _check_simulation_hypotheses(defi, rows)
    defi.positions.all().delete()
    created = DefiPosition.objects.bulk_create(rows)
    defi.save(update_fields=["updated_at"])
    return created


def _check_simulation_hypotheses(defi: Defi, rows: list[DefiPosition]) -> None:
    """The bands must be the défi's promotion's, and 4/5 only where its frame allows it (the
    form checks both; this guards the other callers)."""
    promotion_id = defi.call.promotion_id
    bands = {row.salary_band_id for row in rows} - {None}
    if (
        bands
        and len(bands) != SalaryBand.objects.filter(pk__in=bands, promotion_id=promotion_id).count()
    ):
        raise DomainError(
            "Une tranche d'expérience choisie n'est pas dans la grille salariale de la "
            "promotion du défi.",
            code="band_promotion",
        )
    work_times = {row.work_time for row in rows}
    if not work_times <= set(WorkTime.values):
        raise DomainError(
            "La quotité de travail est un temps plein ou un temps partiel à 4/5.",
            code="work_time",
        )
    if (
        work_times - {WorkTime.FULL}
        and not ContractFrame.objects.filter(
            promotion_id=promotion_id, allows_part_time=True
        ).exists()
    ):
        raise DomainError(
            "Les EIG de cette promotion sont recrutés à temps plein : le temps partiel n'est "
            "pas possible.",
            code="full_time",
        )


@transaction.atomic
def defi_attach_pitch_deck(*, defi: Defi, actor: User, upload: UploadedFile) -> Defi:
    """Store the pitch deck (already checked by the form), replacing the previous one."""
    defi = _lock_editable(defi, actor)
    previous = defi.pitch_deck.name if defi.pitch_deck else ""
    defi.pitch_deck.save(f"defi-{defi.pk}-presentation.pdf", upload, save=False)
    defi.save(update_fields=["pitch_deck", "updated_at"])
    if previous and previous != defi.pitch_deck.name:
        storage = defi.pitch_deck.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return defi


@transaction.atomic
def defi_submit(*, defi: Defi, actor: User, now: datetime.datetime | None = None) -> Defi:
    """Submit the défi to its call.

    Side effects: a history event; a confirmation mail to the owner and co-editors.
    """
    defi = Defi.objects.select_for_update().get(pk=defi.pk)
    missing = defi_missing_sections(defi)
    if missing:
        raise IncompleteDossier(
            "Le défi ne peut pas être déposé : des informations obligatoires manquent.",
            missing=missing,
        )
    transition = _defi_transition(defi=defi, action="submit", actor=actor, now=now)
    email_queue(
        to=defi_recipients(defi),
        template="defi_submitted",
        context={"defi": defi, "call": defi.call},
    )
    defi_version_record(defi=defi, transition=transition)
    return defi


@transaction.atomic
def defi_version_record(*, defi: Defi, transition: Event) -> DefiVersion | None:
    """Keep the submitted text as a new version when it differs from the last one, and tell
    the jurors who evaluated an earlier text. Returns the new version, or None when the text
    did not change (the evaluations stay on the current version).

    Called by `defi_submit` within its transaction (the défi row locked), and by the demo
    for a past session whose submissions it writes as they happened.
    Side effects: a "dossier changed" history event on each evaluation made on an earlier
    text, a mail to each of their jurors and one to the programme staff."""
    content = defi_snapshot(defi)
    last = defi.versions.order_by("-number").first()
    if last is not None and last.content == content:
        return None
    number = max(defi.submitted_version, last.number if last else 0) + 1
    version = DefiVersion.objects.create(
        defi=defi, number=number, content=content, transition=transition, submitted_at=transition.at
    )
    defi.submitted_version = number
    defi.save(update_fields=["submitted_version"])
    # The submission's event says which version it made.
    transition.data = {**transition.data, "version": number}
    transition.save(update_fields=["data"])
    _evaluations_mark_earlier(defi=defi, version=version, previous=last)
    return version


def _evaluations_mark_earlier(
    *, defi: Defi, version: DefiVersion, previous: DefiVersion | None
) -> None:
    """The évaluations saved on an earlier text get a history event, and their jurors and the
    programme staff are mailed what changed. The evaluations keep their state: a submitted
    one still counts, flagged "faite sur une version antérieure", until its juror updates
    it (`eig.jury.services.evaluation_update_for_new_version`) or staff reopen it."""
    evaluations = list(
        DefiEvaluation.objects.filter(defi=defi, dossier_version__lt=version.number)
        .exclude(state=DefiEvaluation.State.PENDING)
        .select_related("member__user", "member__jury")
        .order_by("pk")
    )
    if not evaluations:
        return
    record_many(
        evaluations,
        action=EvaluationAction.DOSSIER_CHANGED,
        actor=version.transition.actor if version.transition else None,
        at=version.submitted_at,
        note=f"Version {version.number} déposée",
        data={"version": version.number},
    )
    changes = version_changes(previous.content if previous else None, version.content)
    titles = [change["title"] for change in changes]
    for evaluation in evaluations:
        if not evaluation.member.is_active:
            continue  # left the jury: their submitted scores count, staff are told below
        email_queue(
            to=[evaluation.member.user.email],
            template="jury_defi_changed",
            context={
                "defi": defi,
                "evaluation": evaluation,
                "version": version,
                "titles": titles,
                "jury": evaluation.member.jury,
            },
        )
    staff = User.objects.filter(roles__contains=[Role.STAFF], is_active=True).order_by("pk")
    email_queue(
        to=[person.email for person in staff],
        template="jury_defi_changed_staff",
        context={
            "defi": defi,
            "version": version,
            "titles": titles,
            "evaluations": evaluations,
            "jury": evaluations[0].member.jury,
        },
    )


@transaction.atomic
def defi_reopen(*, defi: Defi, actor: User, now: datetime.datetime | None = None) -> Defi:
    """Take a submitted défi back to draft, while the call is open."""
    defi = Defi.objects.select_for_update().get(pk=defi.pk)
    _defi_transition(defi=defi, action="reopen", actor=actor, now=now)
    return defi


@transaction.atomic
def defi_withdraw(*, defi: Defi, actor: User, now: datetime.datetime | None = None) -> Defi:
    """Withdraw the défi from the call, while the call is open."""
    defi = Defi.objects.select_for_update().get(pk=defi.pk)
    _defi_transition(defi=defi, action="withdraw", actor=actor, now=now)
    return defi


@transaction.atomic
def defi_restore(*, defi: Defi, actor: User, now: datetime.datetime | None = None) -> Defi:
    """Bring a withdrawn défi back as a draft, while the call is open."""
    defi = Defi.objects.select_for_update().get(pk=defi.pk)
    _defi_transition(defi=defi, action="restore", actor=actor, now=now)
    return defi


@transaction.atomic
def defi_invite(*, defi: Defi, actor: User, email: str) -> DefiInvitation:
    """Invite a colleague to co-edit the défi.

    Side effect: an invitation mail with a link; the colleague accepts it once logged in
    with that address, as an agent of the same administration.
    """
    email = email.strip().lower()
    _ensure_call_open(defi.call)
    # An invitation makes its recipient a member: only an editor who is a verified member
    # gives it.
    ensure_perm(
        actor,
        "projects.invite_to_defi",
        defi,
        message=f"Seuls les rédacteurs du défi qui sont membres vérifiés "
        f"{of_name(defi.administration)} invitent des co-rédacteurs.",
        code="not_member",
    )
    if email == actor.email.lower():
        raise DomainError("Vous êtes déjà rédacteur de ce défi.", code="self_invite")
    if defi.collaborators.filter(email__iexact=email).exists() or (
        defi.owner and defi.owner.email.lower() == email
    ):
        raise DomainError("Cette personne co-rédige déjà ce défi.", code="already_collaborator")
    existing = User.objects.filter(email__iexact=email).first()
    if existing and existing.administration_id not in (None, defi.administration_id):
        raise DomainError(
            "Cette personne est rattachée à une autre administration : seuls les agents "
            f"{of_name(defi.administration)} peuvent co-rédiger ce défi.",
            code="other_administration",
        )
    # Inviting the same address again resends the pending invitation (same link) rather than
    # piling up links that all work.
    invitation = defi.invitations.filter(email=email, accepted_at__isnull=True).first()
    if invitation is None:
        invitation = DefiInvitation.objects.create(defi=defi, email=email, invited_by=actor)
    email_queue(
        to=[email],
        template="defi_invitation",
        context={"defi": defi, "invitation": invitation, "inviter": actor},
    )
    return invitation


@transaction.atomic
def defi_invitation_accept(*, invitation: DefiInvitation, user: User) -> Defi:
    """Add the invited colleague as co-editor; an agent with no administration yet joins the
    défi's administration."""
    invitation = DefiInvitation.objects.select_for_update().get(pk=invitation.pk)
    defi = invitation.defi
    if invitation.accepted_at is not None:
        raise DomainError("Cette invitation a déjà été acceptée.", code="invitation_used")
    if user.email.lower() != invitation.email.lower():
        raise DomainError(
            f"Cette invitation a été envoyée à {invitation.email} : connectez-vous avec cette "
            "adresse pour l'accepter.",
            code="invitation_other_email",
        )
    if user.administration_id not in (None, defi.administration_id):
        raise DomainError(
            "Votre compte est rattaché à une autre administration que "
            f"{the_name(defi.administration)}.",
            code="other_administration",
        )
    if Role.AGENT not in user.roles:
        user.roles = sorted({*user.roles, Role.AGENT})
        user.save(update_fields=["roles"])
    # The invitation of a verified member is their approval: the colleague joins the
    # administration through its memberships (with history), never by a bare field.
    membership_join_by_invitation(
        user=user, administration=defi.administration, inviter=invitation.invited_by
    )
    defi.collaborators.add(user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return defi


def defi_send_draft_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind the editors of draft défis 7 days and 1 day before their call closes.

    Each reminder (kind, défi, person, closing date) is sent once whatever the number of
    ticks. Returns the number of mails sent.
    """
    from projects.selectors.defis import defi_drafts_due_for_reminder

    now = now or timezone.now()
    sent = 0
    for kind, defi in defi_drafts_due_for_reminder(now=now):
        due_on = defi.call.closes_at.astimezone(PARIS).date()
        for person in defi_recipients(defi, as_users=True):
            sent += reminder_send_once(
                kind=kind,
                obj=defi,
                recipient=person,
                due_on=due_on,
                template="defi_draft_reminder",
                context={"defi": defi, "call": defi.call, "days": 7 if kind.endswith("j7") else 1},
            )
    return sent


# Moves the jury makes through `eig.jury.shortlist` and `eig.jury.decisions`, once the call
# is closed: target -> states it may come from. A decided défi stays decided, except that
# the waiting list is resolved later (selected, or not selected once the promotion is
# complete).
JURY_TRANSITIONS = {
    State.SHORTLISTED: {State.SUBMITTED},
    State.SUBMITTED: {State.SHORTLISTED},
    State.SELECTED: {State.SUBMITTED, State.SHORTLISTED, State.WAITING_LIST},
    State.WAITING_LIST: {State.SUBMITTED, State.SHORTLISTED},
    State.NOT_SELECTED: {State.SUBMITTED, State.SHORTLISTED, State.WAITING_LIST},
}
# The history's name of the jury's moves; the others are decisions.
JURY_ACTIONS = {
    State.SHORTLISTED: Defi.Action.SHORTLISTED,
    State.SUBMITTED: Defi.Action.UNSHORTLISTED,
}


@transaction.atomic
def defi_jury_transition(
    *,
    defi: Defi,
    to_state: str,
    actor: User,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Event:
    """Move a défi through selection (shortlist, decision) on behalf of the jury.

    Unlike the agent's moves, it needs the call closed: until then the agent may still
    reopen or withdraw the défi. Side effect: a history event.
    """
    now = now or timezone.now()
    locked = Defi.objects.select_for_update().select_related("call").get(pk=defi.pk)
    if now < locked.call.closes_at:
        raise DeadlinePassed(
            f"L'appel « {locked.call} » est ouvert jusqu'au "
            f"{locked.call.closes_at.astimezone(PARIS):%d/%m/%Y à %H:%M} (heure de Paris) : "
            "la sélection commence à sa clôture.",
            code="call_open",
        )
    if locked.state not in JURY_TRANSITIONS.get(to_state, ()):
        raise InvalidTransition(
            f"Un défi à l'état « {locked.get_state_display()} » ne peut pas passer à l'état "
            f"« {dict(State.choices).get(to_state, to_state)} ».",
            code="transition",
        )
    previous = locked.state
    locked.state = defi.state = to_state
    locked.save(update_fields=["state", "updated_at"])
    return record(
        locked,
        action=JURY_ACTIONS.get(to_state, Defi.Action.DECIDED),
        from_state=previous,
        to_state=to_state,
        actor=actor,
        note=note,
        at=now,
    )
