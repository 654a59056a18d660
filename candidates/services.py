"""State changes of applications: start, save a section, set the wishes, submit, withdraw.

Every change is the candidate's own (`candidates.edit_application`, asked here as well as by
the views); every move of state writes the application's history; the deadlines are the
call's, compared with the instant of the request, shown in Paris time."""

import datetime
import hashlib
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from candidates.models import (
    MAX_WISHES,
    MIN_WISHES,
    POOL_STATES,
    Application,
    ApplicationSearch,
    CandidateCall,
    PoolAccess,
    Wish,
)
from candidates.search import SEARCHED_TEXTS, search_document
from candidates.sections import SECTIONS, Section
from candidates.selectors import call_positions
from eig.accounts.models import User
from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.services import record
from eig.notifications.services import email_queue
from eig.permissions import ensure_perm

PARIS = ZoneInfo("Europe/Paris")
State = Application.State
Action = Application.Action


def _paris(instant: datetime.datetime) -> str:
    return f"{instant.astimezone(PARIS):%d/%m/%Y à %H:%M}"


def _ensure_call_open(call: CandidateCall, now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    if now < call.opens_at:
        raise DeadlinePassed(
            f"L'appel « {call} » ouvre le {_paris(call.opens_at)} (heure de Paris) : "
            "aucune candidature n'est possible avant.",
            code="not_open",
        )
    if now >= call.closes_at:
        raise DeadlinePassed(
            f"L'appel « {call} » est clos depuis le {_paris(call.closes_at)} (heure de Paris) : "
            "la candidature ne peut plus être déposée ni modifiée.",
            code="closed",
        )


def _ensure_candidate(application: Application, actor: User) -> None:
    ensure_perm(
        actor,
        "candidates.edit_application",
        application,
        message="Seul·e le candidat ou la candidate modifie sa candidature.",
    )


def _ensure_draft(application: Application) -> None:
    if application.state != State.DRAFT:
        raise InvalidTransition(
            f"Une candidature « {application.get_state_display().lower()} » ne se modifie plus.",
            code="not_draft",
        )


def _locked(application: Application) -> Application:
    return Application.objects.select_for_update().select_related("call").get(pk=application.pk)


def application_sections(call: CandidateCall) -> tuple[Section, ...]:
    """The sections a call's application has: the wishes only when they come with it."""
    if call.wishes_with_application:
        return SECTIONS
    return tuple(section for section in SECTIONS if section.special != "wishes")


@transaction.atomic
def application_start(
    *, call: CandidateCall, candidate: User, now: datetime.datetime | None = None
) -> Application:
    """The candidate's application to `call`: created as a draft on the first visit, the
    same one after (one per person and call, which the database enforces).

    Side effect: a "created" history event when the draft is created."""
    ensure_perm(
        candidate,
        "candidates.apply_to_call",
        call,
        message="Seul un compte de candidat·e peut candidater : créez-en un pour postuler.",
        code="not_candidate",
    )
    existing = Application.objects.filter(call=call, candidate=candidate).first()
    if existing is not None:
        return existing
    _ensure_call_open(call, now)
    try:
        # A savepoint: a second tab that created it first wins, and this one reads it.
        with transaction.atomic():
            application = Application.objects.create(call=call, candidate=candidate)
    except IntegrityError:
        return Application.objects.get(call=call, candidate=candidate)
    record(application, action=Action.CREATED, to_state=State.DRAFT, actor=candidate, at=now)
    return application


@transaction.atomic
def application_update_section(
    *,
    application: Application,
    actor: User,
    section: Section,
    data: dict,
    now: datetime.datetime | None = None,
) -> Application:
    """Save one section of a draft (`data`: its fields, already validated by its form; an
    uploaded file replaces the previous one). No history: a draft changes, its state does
    not."""
    application = _locked(application)
    _ensure_candidate(application, actor)
    _ensure_draft(application)
    _ensure_call_open(application.call, now)
    for name in section.fields:
        if name not in data:
            continue
        value = data[name]
        if name in ("cv", "cv_anonymised", "portfolio"):
            if not isinstance(value, UploadedFile):
                # No new file (the form gives back the one saved): it stays as it is.
                continue
            if name == "cv":
                application.cv_checksum = _checksum(value)
                application.cv_filename = (getattr(value, "name", "") or "")[:255]
            getattr(application, name).save(
                f"candidature-{application.pk}-{name}.pdf", value, save=False
            )
        else:
            setattr(application, name, value)
    application.save()
    if any(name in SEARCHED_TEXTS for name in section.fields):
        application_search_save(application)
    return application


def application_search_save(application: Application) -> None:
    """Write what the talent pool's search reads of `application`: its searched answers,
    folded (PostgreSQL derives the lexemes). For the services that change those answers."""
    ApplicationSearch.objects.update_or_create(
        application=application, defaults={"document": search_document(application)}
    )


def _checksum(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def application_set_wishes(
    *,
    application: Application,
    actor: User,
    position_ids: list[int],
    now: datetime.datetime | None = None,
) -> list[Wish]:
    """Rank the wishes: 3 to 5 positions, the first the favourite, each once, each among
    the call's positions that seek the application's métier. Replaces the wishes held as a
    whole. When: with the draft, while the call is open (promotions 4, 6); or, for a call
    that asks them after the pre-selection (promotion 5), once pre-selected and until the
    wishes' own deadline (`wishes_ensure_open`).

    Side effect: a "wishes set" history event with the positions in order."""
    application = _locked(application)
    _ensure_candidate(application, actor)
    wishes_ensure_open(application, now)
    if not application.specialty:
        raise DomainError(
            "Indiquez d'abord votre métier (section « Compétences ») : les vœux se choisissent "
            "parmi les postes qui le recherchent.",
            code="no_specialty",
        )
    if len(set(position_ids)) != len(position_ids):
        raise DomainError("Chaque poste ne peut figurer qu'une fois dans vos vœux.", code="twice")
    if not MIN_WISHES <= len(position_ids) <= MAX_WISHES:
        raise DomainError(
            f"Classez de {MIN_WISHES} à {MAX_WISHES} vœux (vous en avez {len(position_ids)}).",
            code="count",
        )
    positions = call_positions(application.call).in_bulk(position_ids)
    unknown = [pk for pk in position_ids if pk not in positions]
    if unknown:
        raise DomainError("Un de ces postes n'est pas proposé par cet appel.", code="unknown")
    other = [
        positions[pk] for pk in position_ids if positions[pk].specialty != application.specialty
    ]
    if other:
        raise DomainError(
            f"« {other[0].defi} » cherche pour ce poste un autre métier que le vôtre.",
            code="specialty",
        )
    # A draft's wishes are replaced, not withdrawn: nothing was submitted yet.
    application.wishes.filter(withdrawn_at__isnull=True).delete()
    wishes = Wish.objects.bulk_create(
        Wish(application=application, position=positions[pk], rank=rank)
        for rank, pk in enumerate(position_ids, start=1)
    )
    record(
        application,
        action=Action.WISHES_SET,
        actor=actor,
        at=now,
        data={"positions": position_ids},
    )
    return wishes


def wishes_ensure_open(application: Application, now: datetime.datetime | None = None) -> None:
    """Refuse unless the application's wishes may be ranked now (see
    `application_set_wishes`)."""
    call = application.call
    if call.wishes_with_application:
        _ensure_draft(application)
        _ensure_call_open(call, now)
        return
    if application.state != State.PRESELECTED:
        raise DomainError(
            "Cet appel demande les vœux après la présélection, aux seuls présélectionnés.",
            code="wishes_later",
        )
    if (now or timezone.now()) >= call.wishes_closes_at:
        raise DeadlinePassed(
            f"Les vœux de l'appel « {call} » sont clos depuis le {_paris(call.wishes_closes_at)} "
            "(heure de Paris).",
            code="wishes_closed",
        )


def wishes_open(application: Application, now: datetime.datetime | None = None) -> bool:
    try:
        wishes_ensure_open(application, now)
    except DomainError:
        return False
    return True


def application_missing(application: Application) -> dict[str, str]:
    """What each section still lacks for a submission, by section key."""
    missing = {}
    for section in application_sections(application.call):
        if section.special == "wishes":
            held = application.wishes.filter(withdrawn_at__isnull=True).count()
            if held < MIN_WISHES:
                missing[section.key] = f"{section.title} : au moins {MIN_WISHES} vœux."
            continue
        empty = [
            str(Application._meta.get_field(name).verbose_name)
            for name in section.required
            if getattr(application, name) in (None, "")
        ]
        if empty:
            missing[section.key] = f"{section.title} : {', '.join(empty)}."
    return missing


@transaction.atomic
def application_submit(
    *,
    application: Application,
    actor: User,
    now: datetime.datetime | None = None,
    notify: bool = True,
) -> Application:
    """Submit the draft before the call's deadline.

    Side effects: a "submitted" history event; a confirmation mail to the candidate, unless
    `notify` is false (the demo's invented candidates, whose addresses reach nobody)."""
    application = _locked(application)
    _ensure_candidate(application, actor)
    _ensure_draft(application)
    _ensure_call_open(application.call, now)
    missing = application_missing(application)
    if missing:
        raise IncompleteDossier(
            "La candidature ne peut pas être déposée : des informations obligatoires manquent.",
            missing=list(missing.values()),
        )
    application.state = State.SUBMITTED
    application.submitted_at = now or timezone.now()
    application.save(update_fields=["state", "submitted_at", "updated_at"])
    record(
        application,
        action=Action.SUBMITTED,
        from_state=State.DRAFT,
        to_state=State.SUBMITTED,
        actor=actor,
        at=now,
    )
    if not notify:
        return application
    email_queue(
        to=[actor.email],
        template="application_submitted",
        context={"application": application, "call": application.call},
        idempotency_key=f"application-{application.pk}-submitted",
    )
    return application


@transaction.atomic
def application_withdraw(
    *,
    application: Application,
    actor: User,
    note: str = "",
    now: datetime.datetime | None = None,
    notify: bool = True,
) -> Application:
    """Withdraw the application, draft or submitted, at any time: it leaves the selection.

    Side effects: a "withdrawn" history event with the candidate's reason, if any; a mail
    confirming it, unless `notify` is false (as for `application_submit`)."""
    application = _locked(application)
    _ensure_candidate(application, actor)
    if application.state == State.WITHDRAWN:
        raise InvalidTransition("Cette candidature est déjà retirée.", code="withdrawn")
    previous = application.state
    application.state = State.WITHDRAWN
    application.withdrawn_at = now or timezone.now()
    application.save(update_fields=["state", "withdrawn_at", "updated_at"])
    record(
        application,
        action=Action.WITHDRAWN,
        from_state=previous,
        to_state=State.WITHDRAWN,
        actor=actor,
        note=note,
        at=now,
    )
    if not notify:
        return application
    email_queue(
        to=[actor.email],
        template="application_withdrawn",
        context={"application": application, "call": application.call},
        idempotency_key=f"application-{application.pk}-withdrawn",
    )
    return application


# A wish is withdrawn while it may still lead somewhere: the application is submitted,
# pre-selected, on the waiting list or in the pool (where missions are matched to wishes).
WISH_WITHDRAWAL_STATES = (
    State.SUBMITTED,
    State.PRESELECTED,
    State.WAITING_LIST,
    State.ADMITTED,
)


@transaction.atomic
def wish_withdraw(*, wish: Wish, actor: User, now: datetime.datetime | None = None) -> Wish:
    """Withdraw one wish of a submitted application: the others keep their ranks. A draft
    simply ranks its wishes again.

    Side effect: a "wish withdrawn" history event on the application."""
    application = _locked(wish.application)
    _ensure_candidate(application, actor)
    if application.state not in WISH_WITHDRAWAL_STATES:
        raise InvalidTransition(
            "Seuls les vœux d'une candidature déposée, encore en lice, se retirent un à un ; "
            "un brouillon se classe à nouveau.",
            code="not_submitted",
        )
    wish = Wish.objects.select_for_update().get(pk=wish.pk, application=application)
    if wish.withdrawn_at is not None:
        raise InvalidTransition("Ce vœu est déjà retiré.", code="wish_withdrawn")
    wish.withdrawn_at = now or timezone.now()
    wish.save(update_fields=["withdrawn_at"])
    record(
        application,
        action=Action.WISH_WITHDRAWN,
        actor=actor,
        at=now,
        data={"wish": wish.pk, "position": wish.position_id, "rank": wish.rank},
    )
    return wish


# What identifies a candidate in an application: erased with their account. The métier, the
# experience in years, the state, the dates and the wishes stay, for the programme's
# statistics, without anyone to attach them to.
IDENTIFYING_TEXTS = (
    "presentation",
    "skills_main",
    "skills_secondary",
    "experience_specialty",
    "experience_entrepreneurship",
    "motivation",
    "github_url",
    "gitlab_url",
    "linkedin_url",
    "website_url",
    "civility",
    "phone",
    "employer",
    "mobility",
    "cv_checksum",
    "cv_filename",
)
IDENTIFYING_FILES = ("cv", "cv_anonymised", "portfolio")


@transaction.atomic
def applications_anonymise_for_erasure(user: User) -> int:
    """Before `user`'s account is deleted: erase what identifies them in their applications
    (texts, links, contact details, birth year, files), keep the rest. Returns how many.

    Side effects: the files are deleted from storage once the transaction commits; an
    "anonymised" history event on each application, without actor."""
    applications = list(Application.objects.select_for_update().filter(candidate=user))
    for application in applications:
        application_erase_identity(application)
        record(application, action=Action.ANONYMISED, actor=None)
    return len(applications)


def application_erase_identity(application: Application) -> None:
    """Erase what identifies the candidate in `application` (locked by the caller) and
    detach it from their account; the files go once the transaction commits. For the
    account's deletion and for the retention clocks (`retention.py`), which write their
    own history event."""
    files = [getattr(application, name) for name in IDENTIFYING_FILES]
    for name in IDENTIFYING_TEXTS:
        setattr(application, name, "")
    for name in IDENTIFYING_FILES:
        setattr(application, name, "")
    application.birth_year = None
    application.available_on = None
    application.candidate = None
    application.save()
    ApplicationSearch.objects.filter(application=application).update(document="")
    for stored in files:
        if stored:
            transaction.on_commit(
                lambda name=stored.name, storage=stored.storage: storage.delete(name)
            )


# --- Selection, on the jury engine (`candidates/jury.py`) -----------------------------------

# The engine's names for its moves (`JuryDomain.dossier_transition`: "shortlisted",
# "submitted" taken off the shortlist, or a `Decision`) -> the application's states.
JURY_TARGETS = {
    "shortlisted": State.PRESELECTED,
    "submitted": State.SUBMITTED,
    "selected": State.ADMITTED,
    "waiting_list": State.WAITING_LIST,
    "not_selected": State.DECLINED,
}
# Target -> the states it may be reached from. A decided application stays decided, except
# that the waiting list is resolved later (admitted, or not retained once the promotion is
# complete), as for the défis.
JURY_MOVES = {
    State.PRESELECTED: {State.SUBMITTED},
    State.SUBMITTED: {State.PRESELECTED},
    State.ADMITTED: {State.SUBMITTED, State.PRESELECTED, State.WAITING_LIST},
    State.WAITING_LIST: {State.SUBMITTED, State.PRESELECTED},
    State.DECLINED: {State.SUBMITTED, State.PRESELECTED, State.WAITING_LIST},
}
# The states in which an application is before its call's jury.
JURY_STATES = (
    State.SUBMITTED,
    State.PRESELECTED,
    State.ADMITTED,
    State.WAITING_LIST,
    State.DECLINED,
)
DECISIONS = (State.ADMITTED, State.WAITING_LIST, State.DECLINED)
JURY_ACTIONS = {
    State.PRESELECTED: Action.PRESELECTED,
    State.SUBMITTED: Action.UNPRESELECTED,
}


@transaction.atomic
def application_jury_move(
    *,
    dossier: Application,
    to_state: str,
    actor: User | None,
    note: str = "",
    now: datetime.datetime | None = None,
):
    """Move an application through the selection on behalf of its call's jury: onto the
    shortlist (`preselected`) or off it, or to the jury's decision. `to_state` is the
    engine's name of the move (see `JURY_TARGETS`) or an application state. The engine asked
    `jury.manage_jury` (or `jury.record_hearing`) before calling.

    Refused while the call is open (the candidate may still change or withdraw the
    application) and from a state the move does not start from. Side effect: a history
    event."""
    now = now or timezone.now()
    target = JURY_TARGETS.get(to_state, to_state)
    application = _locked(dossier)
    call = application.call
    if now < call.closes_at:
        raise DeadlinePassed(
            f"L'appel « {call} » est ouvert jusqu'au {_paris(call.closes_at)} (heure de Paris) : "
            "la sélection commence à sa clôture.",
            code="call_open",
        )
    if application.state not in JURY_MOVES.get(target, ()):
        raise InvalidTransition(
            f"Une candidature à l'état « {application.get_state_display()} » ne peut pas "
            f"passer à l'état « {dict(State.choices).get(target, target)} ».",
            code="transition",
        )
    previous = application.state
    application.state = dossier.state = target
    fields = ["state", "updated_at"]
    if target in DECISIONS:
        # The decision starts the clocks of `retention.py`; admission, the pool's.
        application.decided_at = now
        fields.append("decided_at")
        if target == State.ADMITTED:
            application.pool_contact_at = now
            fields.append("pool_contact_at")
    application.save(update_fields=fields)
    return record(
        application,
        action=JURY_ACTIONS.get(target, Action.DECIDED),
        from_state=previous,
        to_state=target,
        actor=actor,
        note=note,
        at=now,
    )


def _viewer_name(viewer: User) -> str:
    # Kept in the log as written then: the account may be deleted later.
    return f"{viewer.get_full_name()} <{viewer.email}>".strip()


@transaction.atomic
def pool_access_record(
    *,
    application_ids: list[int],
    viewer: User,
    kind: str,
    now: datetime.datetime | None = None,
) -> list[PoolAccess]:
    """Log that `viewer` read these dossiers of the pool (`kind`: its page, its CV, an
    export, whose size each of its rows keeps), before the data leaves: one row per dossier,
    so that each dossier's log says who took its data. Two queries whatever their number.
    Only staff read the pool, and only the dossiers that are in it."""
    ensure_perm(
        viewer, "candidates.read_pool", message="Le vivier est réservé à l'équipe du programme."
    )
    if Application.objects.filter(pk__in=application_ids).exclude(state__in=POOL_STATES).exists():
        raise DomainError("Seuls les dossiers du vivier se consultent ici.", code="not_in_pool")
    at = now or timezone.now()
    name = _viewer_name(viewer)
    export = kind in (PoolAccess.Kind.EXPORT_CSV, PoolAccess.Kind.EXPORT_XLSX)
    return PoolAccess.objects.bulk_create(
        PoolAccess(
            application_id=pk,
            viewer=viewer,
            viewer_name=name,
            kind=kind,
            at=at,
            exported=len(application_ids) if export else None,
        )
        for pk in application_ids
    )


# What the staff's page of an application logs, page or file (`views/staff.py`).
APPLICATION_ACCESS_KINDS = (
    PoolAccess.Kind.APPLICATION,
    PoolAccess.Kind.CV,
    PoolAccess.Kind.CV_ANONYMISED,
    PoolAccess.Kind.PORTFOLIO,
)


def application_access_record(
    *,
    application: Application,
    viewer: User,
    kind: str,
    now: datetime.datetime | None = None,
) -> PoolAccess:
    """Log that `viewer` read this application on the staff's page of it (`kind`: the page,
    or one of its files), before the data leaves, in the same log as the pool's readings.
    Only staff read an application, once its candidate handed it in."""
    ensure_perm(
        viewer,
        "candidates.read_application",
        application,
        message="Seule l'équipe du programme lit les candidatures déposées.",
    )
    if kind not in APPLICATION_ACCESS_KINDS:
        raise DomainError("Cet accès ne se consigne pas ici.", code="kind")
    return PoolAccess.objects.create(
        application=application,
        viewer=viewer,
        viewer_name=_viewer_name(viewer),
        kind=kind,
        at=now or timezone.now(),
    )
