"""Who belongs to an administration: requests to join, their approval or refusal, departures,
signatories, and the creation of an administration.

Every change writes a history event (`eig.history`) and mails the people concerned after
commit. `User.administration` is written here only: it is set while a membership is
verified and emptied when it ends, so that everything an administration owns (défis,
conventions, invitations) is reached by its verified members alone.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from eig.accounts.models import User
from eig.exceptions import DomainError, InvalidTransition
from eig.history.services import record
from eig.notifications.services import email_queue
from eig.permissions import ensure_perm
from eig.programme import selectors
from eig.programme.french import of_name, the_name, to_name
from eig.programme.models import (
    Administration,
    AdministrationMembership,
)

Membership = AdministrationMembership
State = Membership.State
Via = Membership.Via
Action = Membership.Action
REASON_MAX = 500
# Each request mails the administration's members: a person asking again and again (or
# trying administration after administration) would flood them.
REQUESTS_PER_DAY = 5


def _record(
    membership: Membership, *, action: str, from_state: str, actor: User | None, reason=""
) -> None:
    record(
        membership,
        action=action,
        from_state=from_state,
        to_state=membership.state,
        actor=actor,
        note=reason.strip()[:REASON_MAX],
    )


def _mirror(user: User) -> None:
    """Make `user.administration` say the verified membership, or nothing."""
    verified = (
        Membership.objects.filter(user=user, state=State.VERIFIED)
        .values_list("administration_id", flat=True)
        .first()
    )
    if user.administration_id != verified:
        user.administration_id = verified
        user.save(update_fields=["administration"])


def _lock_user(user: User) -> User:
    # Two requests of one person at once: the second waits, then sees the first.
    return User.objects.select_for_update().get(pk=user.pk)


def _lock(membership: Membership) -> Membership:
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("administration", "user")
        .get(pk=membership.pk)
    )


def _mail(to: list[User], template: str, **context) -> None:
    email_queue(to=[person.email for person in to], template=template, context=context)


def _open_membership(user: User) -> Membership | None:
    return (
        Membership.objects.filter(user=user, state__in=Membership.OPEN_STATES)
        .select_related("administration")
        .first()
    )


def _verify(membership: Membership, *, via: str, actor: User | None, reason="") -> Membership:
    from_state = membership.state
    membership.state = State.VERIFIED
    membership.verified_via = via
    membership.decided_at = timezone.now()
    membership.decided_by = actor
    membership.save(update_fields=["state", "verified_via", "decided_at", "decided_by"])
    _record(membership, action=Action.VERIFIED, from_state=from_state, actor=actor, reason=reason)
    _mirror(membership.user)
    return membership


def _verify_by_domain(membership: Membership, address: str) -> Membership:
    user = membership.user
    _verify(
        membership, via=Via.DOMAIN, actor=user, reason=f"Adresse vérifiée {address} sur le domaine"
    )
    # Nobody approved this one: the members learn of it, and can alert staff.
    others = [
        member
        for member in selectors.administration_member_users(membership.administration_id)
        if member.pk != user.pk
    ]
    _mail(others, "membership_joined", membership=membership, address=address)
    return membership


@transaction.atomic
def membership_request(*, user: User, administration: Administration, note: str = "") -> Membership:
    """Ask to join `administration`. The person joins at once when one of their verified
    addresses is on one of its domains; otherwise the request waits for a verified member or
    staff. Refused while another request or membership is open (see `membership_change`).

    Side effects: a history event; a mail to the verified members (staff when there are none),
    or, for a join by domain, a mail telling the members."""
    caller, user = user, _lock_user(user)
    ensure_perm(
        user,
        "programme.choose_administration",
        message="Seuls les agents publics rattachent leur compte à une administration.",
        code="not_agent",
    )
    current = _open_membership(user)
    if current is not None:
        if current.administration_id == administration.pk:
            message = (
                f"Vous êtes déjà membre {of_name(administration)}."
                if current.state == State.VERIFIED
                else f"Votre demande pour rejoindre {the_name(administration)} est déjà en attente."
            )
            raise DomainError(message, code="already")
        raise DomainError(
            f"Vous êtes rattaché·e {to_name(current.administration)} (ou votre demande est en "
            "cours) : "
            "changez d'administration depuis « Mon administration ».",
            code="open_membership",
        )
    since = timezone.now() - datetime.timedelta(days=1)
    if Membership.objects.filter(user=user, requested_at__gte=since).count() >= REQUESTS_PER_DAY:
        raise DomainError(
            "Vous avez fait trop de demandes de rattachement aujourd'hui : réessayez demain, ou "
            "écrivez à l'équipe du programme.",
            code="too_many_requests",
        )
    membership = Membership.objects.create(
        user=user, administration=administration, state=State.REQUESTED, note=note.strip()
    )
    _record(membership, action=Action.REQUESTED, from_state="", actor=user, reason=note)
    address = selectors.user_verified_domain_match(user, administration)
    if address:
        _verify_by_domain(membership, address)
        caller.refresh_from_db(fields=["administration"])
        return membership
    approvers = selectors.administration_member_users(administration.pk)
    _mail(
        approvers or selectors.staff_users(),
        "membership_requested",
        membership=membership,
        to_staff=not approvers,
    )
    return membership


@transaction.atomic
def membership_change(*, user: User, administration: Administration, note: str = "") -> Membership:
    """Leave the current administration (or withdraw the pending request) and ask to join
    another: a new request, like a first one. Side effects: those of `membership_end` and
    `membership_request`."""
    caller, user = user, _lock_user(user)
    current = _open_membership(user)
    if current is not None:
        if current.administration_id == administration.pk:
            raise DomainError(
                f"Vous êtes déjà rattaché·e {to_name(administration)} (ou votre demande est en "
                "cours).",
                code="already",
            )
        membership_end(
            membership=current,
            actor=user,
            reason=f"Changement d'administration : demande pour {the_name(administration)}",
        )
    membership = membership_request(user=user, administration=administration, note=note)
    caller.refresh_from_db(fields=["administration"])
    return membership


def _ensure_can_decide(membership: Membership, actor: User) -> None:
    if membership.user_id == actor.pk:
        raise DomainError("Votre propre demande est décidée par un autre membre.", code="self")
    ensure_perm(
        actor,
        "programme.examine_membership",
        membership,
        message=f"Seuls les membres vérifiés {of_name(membership.administration)} et l'équipe "
        "du programme décident des demandes.",
        code="not_member",
    )


def _ensure_requested(membership: Membership) -> None:
    if membership.state != State.REQUESTED:
        raise InvalidTransition(
            f"Cette demande est « {membership.get_state_display()} » : elle n'attend plus de "
            "décision."
        )


@transaction.atomic
def membership_approve(*, membership: Membership, actor: User, reason: str = "") -> Membership:
    """Approve a request: the person becomes a verified member. Decided by staff or a
    verified member of the administration (never by the requester). Side effects: history,
    a mail to the person."""
    membership = _lock(membership)
    _ensure_can_decide(membership, actor)
    _ensure_requested(membership)
    via = Via.STAFF if actor.is_programme_staff else Via.MEMBER
    _verify(membership, via=via, actor=actor, reason=reason)
    _mail([membership.user], "membership_approved", membership=membership, actor=actor)
    return membership


@transaction.atomic
def membership_refuse(*, membership: Membership, actor: User, reason: str = "") -> Membership:
    """Refuse a request. Same deciders as `membership_approve`. Side effects: history, a mail
    to the person with the reason."""
    membership = _lock(membership)
    _ensure_can_decide(membership, actor)
    _ensure_requested(membership)
    membership.state = State.REFUSED
    membership.decided_at = timezone.now()
    membership.decided_by = actor
    membership.save(update_fields=["state", "decided_at", "decided_by"])
    _record(
        membership, action=Action.REFUSED, from_state=State.REQUESTED, actor=actor, reason=reason
    )
    _mail([membership.user], "membership_refused", membership=membership, reason=reason)
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, actor: User | None, reason: str = "") -> Membership:
    """End a membership or withdraw a request: by the person, or by staff (`actor` None for
    the erasure of the account). The person loses at once what the administration owns.

    Side effects: history; a mail to the person when someone else ended it; a mail to the
    administration's signatories (staff when none is left) when a verified member leaves."""
    membership = _lock(membership)
    if actor is not None:
        ensure_perm(
            actor,
            "programme.end_membership",
            membership,
            message="Seuls la personne elle-même et l'équipe du programme mettent fin à un "
            "rattachement.",
            code="not_allowed",
        )
    if not membership.is_open:
        raise InvalidTransition("Ce rattachement est déjà terminé.")
    from_state = membership.state
    membership.state = State.ENDED
    membership.ended_at = timezone.now()
    membership.is_signatory = False
    membership.save(update_fields=["state", "ended_at", "is_signatory"])
    _record(membership, action=Action.ENDED, from_state=from_state, actor=actor, reason=reason)
    user = membership.user
    _mirror(user)
    if actor is not None and actor.pk != user.pk:
        _mail(
            [user],
            "membership_ended",
            membership=membership,
            reason=reason,
            was_request=from_state == State.REQUESTED,
        )
    if from_state == State.VERIFIED:
        signatories = selectors.administration_member_users(
            membership.administration_id, signatories_only=True
        )
        _mail(
            signatories or selectors.staff_users(),
            "membership_left",
            membership=membership,
            person=user,
            reason=reason,
            to_staff=not signatories,
        )
    return membership


@transaction.atomic
def membership_set_signatory(
    *, membership: Membership, actor: User, is_signatory: bool, notify: bool = True
) -> Membership:
    """Name a verified member signatory of the administration's conventions, or withdraw
    them. Decided by staff or by a signatory of the administration. Side effects: history, a
    mail to the person (unless they withdrew themselves)."""
    membership = _lock(membership)
    ensure_perm(
        actor,
        "programme.name_signatory",
        membership.administration,
        message=f"Seuls les signataires {of_name(membership.administration)} et l'équipe du "
        "programme désignent les signataires.",
        code="not_signatory",
    )
    if membership.state != State.VERIFIED:
        raise InvalidTransition("Seul un membre vérifié peut être signataire.")
    if membership.is_signatory == is_signatory:
        return membership
    membership.is_signatory = is_signatory
    membership.save(update_fields=["is_signatory"])
    _record(
        membership,
        action=Action.SIGNATORY_SET if is_signatory else Action.SIGNATORY_UNSET,
        from_state=State.VERIFIED,
        actor=actor,
    )
    if notify and actor.pk != membership.user_id:
        _mail([membership.user], "membership_signatory", membership=membership, actor=actor)
    return membership


@transaction.atomic
def membership_grant(
    *,
    user: User,
    administration: Administration,
    actor: User,
    is_signatory: bool = False,
    reason: str = "",
    notify: bool = True,
) -> Membership:
    """Staff make someone a verified member at once (from the admin): a pending request for
    the same administration is approved, any other open membership ends. Side effects:
    those of the steps taken; `notify=False` (demo accounts) mails nobody."""
    ensure_perm(
        actor,
        "programme.grant_membership",
        message="Cette étape revient à l'équipe du programme.",
        code="staff_only",
    )
    user = _lock_user(user)
    current = _open_membership(user)
    if current is not None and current.administration_id != administration.pk:
        membership_end(
            membership=current,
            actor=actor,
            reason=reason or f"Rattaché·e {to_name(administration)} par l'équipe du programme",
        )
        current = None
    if current is None:
        current = Membership.objects.create(
            user=user, administration=administration, state=State.REQUESTED
        )
        _record(current, action=Action.REQUESTED, from_state="", actor=actor, reason=reason)
    if current.state == State.REQUESTED:
        current = _verify(_lock(current), via=Via.STAFF, actor=actor, reason=reason)
        if notify:
            _mail([user], "membership_approved", membership=current, actor=actor)
    if is_signatory:
        current = membership_set_signatory(
            membership=current, actor=actor, is_signatory=True, notify=notify
        )
    return current


@transaction.atomic
def membership_verify_by_domain(*, user: User) -> Membership | None:
    """When the person confirms an address: their pending request is verified if the address
    is on one of the administration's domains. Side effects: those of a join by domain."""
    user = _lock_user(user)
    current = _open_membership(user)
    if current is None or current.state != State.REQUESTED:
        return None
    address = selectors.user_verified_domain_match(user, current.administration)
    if not address:
        return None
    return _verify_by_domain(_lock(current), address)


@transaction.atomic
def membership_join_by_invitation(
    *, user: User, administration: Administration, inviter: User | None
) -> Membership:
    """A colleague invited to co-edit a défi becomes a verified member of its administration:
    the invitation of a verified member is their approval. Refused when the inviter is no
    longer a member, and when the person belongs to (or asked for) another administration.
    Side effects: history (the inviter decided)."""
    caller, user = user, _lock_user(user)
    current = _open_membership(user)
    if current is not None and current.administration_id != administration.pk:
        if current.state == State.VERIFIED:
            raise DomainError(
                "Votre compte est rattaché à une autre administration que "
                f"{the_name(administration)}.",
                code="other_administration",
            )
        raise DomainError(
            f"Votre demande pour rejoindre {the_name(current.administration)} est en attente : "
            "retirez-la "
            "depuis « Mon administration » pour accepter cette invitation.",
            code="other_request",
        )
    if current is not None and current.state == State.VERIFIED:
        return current
    if inviter is None or not selectors.user_is_verified_member(inviter, administration.pk):
        raise DomainError(
            f"Cette invitation ne vaut plus : la personne qui l'a envoyée n'est plus membre "
            f"{of_name(administration)}. Demandez à rejoindre l'administration depuis « Mon "
            "administration ».",
            code="inviter_not_member",
        )
    if current is None:
        current = Membership.objects.create(
            user=user, administration=administration, state=State.REQUESTED
        )
        _record(current, action=Action.REQUESTED, from_state="", actor=user)
    current = _verify(
        _lock(current), via=Via.INVITATION, actor=inviter, reason="Invitation à co-rédiger un défi"
    )
    caller.refresh_from_db(fields=["administration"])
    return current


@transaction.atomic
def administration_create(*, user: User, **fields) -> Administration:
    """Register an administration: the person who does becomes its verified member and
    signatory (there is nobody else to approve them); any other open membership ends.
    Side effect: staff are mailed, to check a new administration before its first
    convention."""
    caller, user = user, _lock_user(user)
    ensure_perm(
        user,
        "programme.choose_administration",
        message="Seuls les agents publics inscrivent une administration.",
        code="not_agent",
    )
    administration = Administration(**fields)
    administration.fill_article()
    administration.full_clean()
    administration.save()
    current = _open_membership(user)
    if current is not None:
        membership_end(
            membership=current,
            actor=user,
            reason=f"Changement d'administration : a inscrit {the_name(administration)}",
        )
    membership = Membership.objects.create(
        user=user, administration=administration, state=State.REQUESTED
    )
    _record(membership, action=Action.REQUESTED, from_state="", actor=user)
    membership = _verify(_lock(membership), via=Via.CREATED, actor=user)
    membership.is_signatory = True
    membership.save(update_fields=["is_signatory"])
    _record(membership, action=Action.SIGNATORY_SET, from_state=State.VERIFIED, actor=user)
    _mail(
        selectors.staff_users(),
        "administration_created",
        administration=administration,
        person=user,
    )
    caller.refresh_from_db(fields=["administration"])
    return administration


def administration_verify_pending_by_domain(*, administration: Administration) -> int:
    """After staff list the administration's domains: the pending requests of people with a
    verified address on one of them are verified. Returns how many."""
    verified = 0
    pending = Membership.objects.filter(administration=administration, state=State.REQUESTED)
    for membership in pending.select_related("user"):
        if membership.user and membership_verify_by_domain(user=membership.user):
            verified += 1
    return verified


def memberships_end_for_erasure(user: User) -> None:
    """The account is being erased: its open memberships end, with history (the rows stay,
    without the person)."""
    for membership in Membership.objects.filter(user=user, state__in=Membership.OPEN_STATES):
        membership_end(membership=membership, actor=None, reason="Compte supprimé")
