"""The défi side of the jury engine: what `eig.jury` needs to know about défis."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.urls import reverse

from eig.jury.domain import ConflictMap, DossierNouns, JuryDomain
from eig.jury.models import Jury, JuryMember
from projects.models import (
    Defi,
    DefiConflict,
    DefiEvaluation,
    DefiReview,
    DefiScore,
)
from projects.sections import SECTIONS
from projects.selectors.defis import (
    JURY_STATES,
    defi_changes_since,
    defi_conflict_count,
    defi_recipients,
)
from projects.services import defi_jury_transition


def defi_list_for_jury(jury: Jury) -> QuerySet[Defi]:
    return (
        Defi.objects.filter(call__jury=jury, state__in=JURY_STATES)
        .select_related("administration__parent")
        .prefetch_related("positions")
        .order_by("pk")
    )


def _ministry_id(administration) -> int | None:
    if administration is None:
        return None
    ministry = administration.ministry
    return ministry.pk if ministry else None


def defi_automatic_conflicts(members: Iterable[JuryMember], defis: Iterable[Defi]) -> ConflictMap:
    """A juror may not evaluate a défi of their own administration, nor one of the ministry
    their administration belongs to (the programme's rule of independence)."""
    conflicts = {}
    # Each juror's administration and ministry read once, not once per défi: the conflicts
    # pages cross thousands of défis with dozens of jurors.
    members = [
        (member.pk, member.user.administration_id, _ministry_id(member.user.administration))
        for member in members
        if member.user.administration_id
    ]
    for defi in defis:
        defi_ministry = _ministry_id(defi.administration)
        for member_pk, administration_id, ministry_id in members:
            if administration_id == defi.administration_id:
                conflicts[(defi.pk, member_pk)] = "Membre de l'administration qui porte le défi"
            elif defi_ministry and ministry_id == defi_ministry:
                conflicts[(defi.pk, member_pk)] = (
                    f"Même ministère que l'administration qui porte le défi "
                    f"({defi.administration.ministry})"
                )
    return conflicts


def defi_expertise_pairs(members: Iterable[JuryMember], defis: Iterable[Defi]) -> set:
    """Pairs where the juror's expertise covers one of the profiles the défi seeks."""
    members = [(member.pk, set(member.expertise)) for member in members if member.expertise]
    pairs = set()
    for defi in defis:
        specialties = {position.specialty for position in defi.positions.all()}
        for member_pk, expertise in members:
            if expertise & specialties:
                pairs.add((defi.pk, member_pk))
    return pairs


def defi_jury_move(*, dossier: Defi, to_state: str, actor, note: str = "", now=None):
    return defi_jury_transition(defi=dossier, to_state=to_state, actor=actor, note=note, now=now)


DEFI_JURY = JuryDomain(
    key="defis",
    nouns=DossierNouns("défi", "défis"),
    dossier_field="defi",
    evaluation_model=DefiEvaluation,
    score_model=DefiScore,
    conflict_model=DefiConflict,
    review_model=DefiReview,
    dossiers=defi_list_for_jury,
    automatic_conflicts=defi_automatic_conflicts,
    expertise_pairs=defi_expertise_pairs,
    dashboard_url=lambda: reverse("jury:dashboard"),
    import_path="projects.jury.DEFI_JURY",
    dossier_transition=defi_jury_move,
    dossier_recipients=defi_recipients,
    # Its editors book its slots: the author and the co-editors they invited.
    dossier_owners=lambda defi: defi_recipients(defi, as_users=True),
    dossier_holder=lambda defi: str(defi.administration),
    holder_label="Administration",
    jury_call=lambda jury: jury.project_call,
    mail_prefix="jury_",
    dossier_version_field="submitted_version",
    dossier_label=lambda defi: defi.title or str(defi),
    juror_template="projects/jury/defi.html",
    juror_context=lambda defi: {"sections": SECTIONS},
    jury_path="call__jury",
    jury_states=tuple(JURY_STATES),
    jury_related=("project_call__promotion",),
    jury_filter=lambda: Q(project_call__isnull=False),
    juror_related=("administration__parent", "call__promotion"),
    juror_prefetch=("positions",),
    list_fields=("pk", "title", "administration__name"),
    conflict_fields=(
        "pk",
        "title",
        "administration__name",
        "administration__kind",
        "administration__parent__name",
        "administration__parent__kind",
    ),
    # `defi_automatic_conflicts`: the juror's administration and its ministry.
    member_fields=("user__administration__kind", "user__administration__parent__kind"),
    conflict_count=lambda jury, members: defi_conflict_count(jury, members),
    # As `defi_jury_transition` has it: selection starts at the call's closing instant.
    selection_starts_at=lambda jury: jury.project_call.closes_at,
    title_field="title",
    holder_field="administration__name",
    recipients_label="l'administration",
    call_noun="appel à projets",
    automatic_conflicts_label=(
        "Les conflits avec votre propre administration et votre ministère sont repérés "
        "automatiquement."
    ),
    dossier_read_url=lambda defi: reverse("projects:defi_detail", args=[defi.pk]),
    dossier_preview_url=lambda defi: reverse("projects:defi_preview", args=[defi.pk]),
    changes_since=lambda defi, number: defi_changes_since(defi, number),
)
