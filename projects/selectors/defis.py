"""Reads of défis, shaped once for the pages that show them: the access helper, what a
défi still lacks, its history, reminders, and the défi side of the jury."""

import datetime
from types import SimpleNamespace

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from eig.accounts.models import User
from eig.history.models import Event
from eig.history.selectors import history_attach, history_for
from eig.jury.models import Jury, JuryMember
from eig.permissions import FORBIDDEN, require_perm
from eig.programme.models import Administration
from projects.models import (
    Defi,
    DefiConflict,
    DefiEvaluation,
    DefiInvitation,
    DefiReview,
    DefiVersion,
)
from projects.sections import MIN_POSITIONS, SECTIONS
from projects.versions import version_changes

State = Defi.State

# A défi goes to the jury once submitted; the states after that are the jury's own.
JURY_STATES = [
    State.SUBMITTED,
    State.SHORTLISTED,
    State.SELECTED,
    State.WAITING_LIST,
    State.NOT_SELECTED,
]


def get_defi_for_user(user: User, pk: int, *, write: bool = False) -> Defi:
    """The one access check for a défi (`projects.read_defi`, and `projects.edit_defi` with
    `write`): its author and invited co-editors read and write it; programme staff read it
    and get a 403 on a page that writes. Anyone else gets a 404, so that the défi's
    existence is not disclosed."""
    if not user.is_authenticated:
        raise Http404
    defi = (
        Defi.objects.select_related("call__promotion", "administration", "owner")
        .prefetch_related("positions", "collaborators")
        .filter(pk=pk)
        .first()
    )
    if defi is None:
        raise Http404
    require_perm(user, "projects.read_defi", defi)
    if write:
        require_perm(
            user,
            "projects.edit_defi",
            defi,
            status=FORBIDDEN,
            message="L'équipe du programme modifie les défis dans l'administration.",
        )
    return defi


def defi_history(defi: Defi) -> QuerySet[Event]:
    return history_for(defi)


def defi_pending_invitations(defi: Defi) -> QuerySet[DefiInvitation]:
    return (
        defi.invitations.filter(accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("created_at")
    )


def defi_missing_by_section(defi: Defi) -> dict[str, str]:
    """What a submission still lacks: section key -> one French sentence; empty when
    complete."""
    missing = {}
    for section in SECTIONS:
        if section.special == "positions":
            positions = list(defi.positions.all())
            if len(positions) < MIN_POSITIONS:
                missing[section.key] = (
                    f"{section.title} : indiquez au moins {MIN_POSITIONS} profils."
                )
            elif any(not p.missions.strip() for p in positions):
                missing[section.key] = f"{section.title} : décrivez les missions de chaque profil."
            continue
        if section.special == "pitch_deck":
            if not defi.pitch_deck:
                missing[section.key] = f"{section.title} : joignez la présentation au format PDF."
            continue
        empty = [
            str(Defi._meta.get_field(name).verbose_name)
            for name in section.required
            if getattr(defi, name) in ("", None, False)
        ]
        if empty:
            missing[section.key] = f"{section.title} : {', '.join(empty)}."
    return missing


def defi_missing_sections(defi: Defi) -> list[str]:
    return list(defi_missing_by_section(defi).values())


def defi_section_status(defi: Defi) -> list[dict]:
    """Each section with what it still lacks, for the défi's overview page."""
    missing = defi_missing_by_section(defi)
    return [
        {"section": s, "complete": s.key not in missing, "missing": missing.get(s.key, "")}
        for s in SECTIONS
    ]


def defi_recipients(defi: Defi, *, as_users: bool = False) -> list:
    """The people who write the défi: its author and co-editors."""
    people = [u for u in [defi.owner, *defi.collaborators.all()] if u and u.is_active]
    unique = {u.pk: u for u in people}.values()
    return list(unique) if as_users else [u.email for u in unique]


def defi_list_for_editor(user: User) -> list[Defi]:
    """The agent's space: the défis they write, with their call and history (`.history`)."""
    return history_attach(
        Defi.objects.filter(Q(owner=user) | Q(collaborators=user))
        .distinct()
        .select_related("call__promotion", "administration")
        .order_by("-updated_at")
    )


def defi_drafts_due_for_reminder(*, now: datetime.datetime):
    """(kind, défi) for every draft whose call closes within 7 days (kind "defi_draft_j7") or
    within 1 day (kind "defi_draft_j1"). A draft in its last day gets only the J-1 reminder."""
    drafts = (
        Defi.objects.filter(
            state=State.DRAFT,
            call__opens_at__lte=now,
            call__closes_at__gt=now,
            call__closes_at__lte=now + datetime.timedelta(days=7),
        )
        .select_related("call", "owner", "administration")
        .prefetch_related("collaborators")
    )
    for defi in drafts:
        left = defi.call.closes_at - now
        kind = "defi_draft_j1" if left <= datetime.timedelta(days=1) else "defi_draft_j7"
        yield kind, defi


# --- The défi side of the jury (the engine's screens are in eig/jury) --------------------


def defi_conflict_count(jury: Jury, members: list[JuryMember]) -> int:
    """How many (défi, juror) pairs `jury_conflicts` lists for the jury (`members`: its
    active members), without loading 2,000 défis: the automatic rule reads only a défi's
    administration, so it runs once per administration and counts for each of its défis."""
    administrations = (
        Administration.objects.filter(defis__call__jury=jury, defis__state__in=JURY_STATES)
        .select_related("parent")
        # What the rule reads: the kind and the parent (the ministry), and the ministry's
        # name for its reason; every column of both made the query half as slow again.
        .only("name", "kind", "parent__name", "parent__kind")
        .annotate(defi_count=Count("defis"))
        .order_by()
    )
    # One stand-in défi per administration, numbered by it, all crossed with the jurors in
    # one call: the pairs come back keyed (administration pk, member pk).
    administrations = list(administrations)
    # Read as the rule reads a défi (`pk`, its administration): a model instance each would
    # cost more than the rule itself.
    stand_ins = [
        SimpleNamespace(pk=item.pk, administration_id=item.pk, administration=item)
        for item in administrations
    ]
    automatic = set(_defi_jury().automatic_conflicts(members, stand_ins))
    defi_counts = {item.pk: item.defi_count for item in administrations}
    count = sum(defi_counts[administration_pk] for administration_pk, _member in automatic)
    declared = DefiConflict.objects.filter(member__jury=jury).values_list(
        "defi__administration_id", "defi__state", "member_id"
    )
    # A declared conflict the rule already implies is the same pair, counted once.
    count += sum(
        1
        for administration_id, state, member_id in declared
        if state not in JURY_STATES or (administration_id, member_id) not in automatic
    )
    return count


def _defi_jury():
    # projects.jury imports this module (JURY_STATES): import the domain when called.
    from projects.jury import DEFI_JURY

    return DEFI_JURY


def defi_changes_since(defi: Defi, number: int | None) -> dict | None:
    """What changed in the défi between its submitted version `number` and the current one:
    `{"from", "to", "submitted_at", "kept", "changes"}`, `changes` being the sections that
    differ with their word diff (`projects.versions.version_changes`); `kept` is False when
    the earlier text was not kept (submitted before versions were recorded). None when
    `number` is the current version or unknown. One query."""
    if number is None or number >= defi.submitted_version:
        return None
    versions = {
        version.number: version
        for version in DefiVersion.objects.filter(
            defi=defi, number__in=[number, defi.submitted_version]
        )
    }
    current = versions.get(defi.submitted_version)
    if current is None:
        return None
    earlier = versions.get(number)
    return {
        "from": number,
        "to": current.number,
        "submitted_at": current.submitted_at,
        "kept": earlier is not None,
        "changes": version_changes(earlier.content if earlier else None, current.content),
    }


def defi_evaluation_count(defi: Defi) -> int:
    """Evaluations of the défi that a juror has started (draft or submitted)."""
    return (
        DefiEvaluation.objects.filter(defi=defi).exclude(state=DefiEvaluation.State.PENDING).count()
    )


def defi_review_for_agent(defi: Defi) -> DefiReview | None:
    """What the défi's writers see of the selection: their hearing once convoked (slot,
    place or link, questions) and the decision once made. The page shows only those. With
    a jury of stages, the review of the furthest stage (the decision is on the last)."""
    return (
        DefiReview.objects.filter(defi=defi)
        .select_related("slot")
        .order_by("-stage__position")
        .first()
    )
