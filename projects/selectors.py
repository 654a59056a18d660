"""Reads of calls and défis, shaped once for the pages that show them."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from eig.accounts.models import User
from eig.jury.models import Jury
from projects.models import Defi, DefiEvaluation, DefiInvitation, DefiTransition, ProjectCall
from projects.sections import MIN_POSITIONS, SECTIONS

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
    """The one access check for a défi: its author and invited co-editors read and write it;
    programme staff read it. Anyone else gets a 404, so that the défi's existence is not
    disclosed."""
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
    if defi_is_editor(user, defi):
        return defi
    if user.is_programme_staff:
        if write:
            raise PermissionDenied("L'équipe du programme modifie les défis dans l'administration.")
        return defi
    raise Http404


def defi_is_editor(user: User, defi: Defi) -> bool:
    """Author or invited co-editor (the défi's collaborators are prefetched by
    get_defi_for_user)."""
    return defi.owner_id == user.pk or any(c.pk == user.pk for c in defi.collaborators.all())


def defi_history(defi: Defi) -> QuerySet[DefiTransition]:
    return defi.transitions.select_related("actor").order_by("at", "pk")


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


def defi_list_for_editor(user: User) -> QuerySet[Defi]:
    """The agent's space: the défis they write, with their call and history."""
    return (
        Defi.objects.filter(Q(owner=user) | Q(collaborators=user))
        .distinct()
        .select_related("call__promotion", "administration")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=DefiTransition.objects.select_related("actor").order_by("at"),
            ),
        )
        .order_by("-updated_at")
    )


def call_list_open(now: datetime.datetime | None = None) -> QuerySet[ProjectCall]:
    now = now or timezone.now()
    return (
        ProjectCall.objects.filter(opens_at__lte=now, closes_at__gt=now)
        .select_related("promotion")
        .order_by("closes_at")
    )


def call_list_upcoming(now: datetime.datetime | None = None) -> QuerySet[ProjectCall]:
    now = now or timezone.now()
    return (
        ProjectCall.objects.filter(opens_at__gt=now)
        .select_related("promotion")
        .order_by("opens_at")
    )


def call_detail(slug: str) -> ProjectCall:
    call = (
        ProjectCall.objects.select_related("promotion")
        .annotate(submitted_count=Count("defis", filter=Q(defis__state=State.SUBMITTED)))
        .filter(slug=slug)
        .first()
    )
    if call is None:
        raise Http404
    return call


def defi_catalogue() -> QuerySet[Defi]:
    """The public catalogue: défis selected by the programme, newest promotion first."""
    return (
        Defi.objects.filter(state=State.SELECTED)
        .select_related("call__promotion", "administration")
        .prefetch_related("positions")
        .order_by("-call__promotion__year", "call__promotion__code", "title")
    )


def programme_figures() -> dict:
    """The programme in figures, from the selected défis: one aggregate query."""
    return Defi.objects.filter(state=State.SELECTED).aggregate(
        defis=Count("pk"),
        promotions=Count("call__promotion", distinct=True),
        administrations=Count("administration", distinct=True),
        since=Min("call__promotion__year"),
    )


def defi_public_detail(pk: int) -> Defi:
    defi = defi_catalogue().filter(pk=pk).first()
    if defi is None:
        raise Http404
    return defi


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


def defi_personal_data(user: User) -> list[dict]:
    """The défis a person writes, for their personal-data export."""
    return [
        {
            "id": defi.pk,
            "titre": defi.title,
            "appel": str(defi.call),
            "administration": str(defi.administration),
            "etat": defi.get_state_display(),
            "role": "auteur" if defi.owner_id == user.pk else "co-rédacteur",
            "cree_le": defi.created_at.isoformat(),
            "depose_le": defi.submitted_at.isoformat() if defi.submitted_at else None,
            "historique": [
                {
                    "le": t.at.isoformat(),
                    "de": t.from_state,
                    "vers": t.to_state,
                    "par_vous": t.actor_id == user.pk,
                }
                for t in defi.transitions.all()
            ],
        }
        for defi in defi_list_for_editor(user)
    ]


# --- Selection (the jury of a call) ------------------------------------------------------


def get_jury_for_staff(user: User, pk: int) -> Jury:
    """The one access check for a call's jury on staff pages: programme staff only; others
    get a 403 (the page exists, it is not theirs)."""
    if not user.is_authenticated or not user.is_programme_staff:
        raise PermissionDenied("Cette page est réservée à l'équipe du programme.")
    jury = Jury.objects.select_related("project_call__promotion").filter(pk=pk).first()
    if jury is None or not hasattr(jury, "project_call"):
        raise Http404
    return jury


def jury_list_for_staff() -> QuerySet[Jury]:
    """Juries of the calls for projects, newest call first, with their sizes."""
    return (
        Jury.objects.filter(project_call__isnull=False)
        .select_related("project_call__promotion")
        .annotate(
            member_count=Count(
                "members", filter=Q(members__withdrawn_at__isnull=True), distinct=True
            ),
            criterion_count=Count("criteria", distinct=True),
            defi_count=Count(
                "project_call__defis",
                filter=Q(project_call__defis__state__in=JURY_STATES),
                distinct=True,
            ),
        )
        .order_by("-project_call__closes_at")
    )


def defi_assignment_rows(jury: Jury) -> QuerySet[Defi]:
    """Each défi of the jury with its evaluations and their jurors, for the assignment page."""
    return (
        Defi.objects.filter(call__jury=jury, state__in=JURY_STATES)
        .select_related("administration")
        .prefetch_related(
            Prefetch(
                "evaluations",
                queryset=DefiEvaluation.objects.select_related("member__user").order_by("pk"),
            )
        )
        .order_by("pk")
    )
