"""Reads of calls and défis, shaped once for the pages that show them."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from eig.accounts.models import User
from eig.history.models import Event
from eig.history.selectors import history_attach, history_for
from eig.jury.models import Criterion, DecisionRecord, HearingSlot, Jury, JuryGroup, JuryMember
from eig.jury.selectors import evaluation_scores_prefetch, member_conflict_reason
from eig.jury.stages import stage_ref
from eig.permissions import FORBIDDEN, require_perm
from eig.programme.costs import (
    FLAT,
    FULL,
    FULL_TIME,
    MONTHS,
    SHARE,
    PositionCost,
    Rules,
    Simulation,
    position_cost,
)
from eig.programme.models import Administration, Specialty, WorkTime
from eig.programme.money import format_quantity
from eig.programme.selectors import cofinancing_recipient, rules_for_promotion
from projects.models import (
    Defi,
    DefiConflict,
    DefiEvaluation,
    DefiInvitation,
    DefiReview,
    DefiScore,
    DefiVersion,
    ProjectCall,
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
                for t in defi.history
            ],
        }
        for defi in defi_list_for_editor(user)
    ]


# --- Financial simulation of a défi --------------------------------------------------------


@dataclass(frozen=True)
class SimulationLine:
    """One EIG of the simulation: its rank, its métier and whether its experience is the
    high hypothesis (the agent has not said which band they aim for)."""

    rank: int
    specialty: str
    cost: PositionCost
    assumed: bool = False


@dataclass(frozen=True)
class DefiSimulation(Simulation):
    """A défi's simulation: the amounts of `costs.Simulation`, with each line's métier and
    who would receive DINUM's credits."""

    lines: tuple[SimulationLine, ...] = ()
    recipient: Administration | None = None
    requests_cofinancing: bool = True

    @property
    def transfers_credits(self) -> bool:
        """Whether DINUM pays its share by transferring credits to a budget programme (P3–P6);
        under P7 it hires the EIGs itself, and some rules pay nothing."""
        return self.rules.kind in (SHARE, MONTHS, FLAT)

    @property
    def paid_in_full(self) -> bool:
        return self.rules.kind == FULL

    @property
    def assumes_highest_band(self) -> bool:
        return any(line.assumed for line in self.lines)

    @property
    def has_notes(self) -> bool:
        """Whether the panel has anything to say under the table."""
        return (
            self.assumes_highest_band
            or self.transfers_credits
            or self.paid_in_full
            or not self.requests_cofinancing
        )

    @property
    def months_label(self) -> str:
        return format_quantity(self.rules.contract_months)


def defi_simulation(
    defi: Defi, positions: list[tuple] | None = None, *, rules: Rules | None = None
) -> DefiSimulation | None:
    """What the défi's EIGs would cost and what the programme would pay, under its
    promotion's rules; None while the programme has not published them.

    `positions` are the saved ones by default (prefetched by get_defi_for_user), or unsaved
    ones as `(band pk or None, work time in percent, specialty)`. A position whose band is
    unknown is simulated in the highest band, marked as the high hypothesis; a work time
    the contract frame does not allow counts as full time. `rules` spares the three queries
    of rules_for_promotion when the caller has read them; reading the administration's
    ministry may cost one more. The count does not depend on the number of positions."""
    if rules is None:
        rules = rules_for_promotion(defi.call.promotion)
        if rules is None:
            return None
    if positions is None:
        positions = [(p.salary_band_id, p.work_time, p.specialty) for p in defi.positions.all()]
    lines = []
    for rank, (band_pk, work_time, specialty) in enumerate(positions, start=1):
        band = rules.band_by_pk(band_pk) if band_pk is not None else None
        rate = Decimal(work_time) / 100 if work_time in WorkTime.values else FULL_TIME
        if not rules.allows_part_time:
            rate = FULL_TIME
        lines.append(
            SimulationLine(
                rank=rank,
                specialty=dict(Specialty.choices).get(specialty, specialty),
                cost=position_cost(rules, band or rules.highest_band, work_time=rate),
                assumed=band is None,
            )
        )
    return DefiSimulation(
        rules=rules,
        positions=tuple(line.cost for line in lines),
        lines=tuple(lines),
        recipient=cofinancing_recipient(defi.administration),
        requests_cofinancing=defi.requests_cofinancing,
    )


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
    """Juries of the calls for projects, newest call first, with their sizes. Each count is
    its own subquery: joining members, criteria and défis at once multiplies their rows."""

    def count(queryset):
        counted = queryset.order_by().values("jury_key").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted), 0)

    return (
        Jury.objects.filter(project_call__isnull=False)
        .select_related("project_call__promotion")
        .annotate(
            member_count=count(
                JuryMember.objects.filter(jury=OuterRef("pk"), withdrawn_at__isnull=True).annotate(
                    jury_key=F("jury_id")
                )
            ),
            criterion_count=count(
                Criterion.objects.filter(jury=OuterRef("pk")).annotate(jury_key=F("jury_id"))
            ),
            defi_count=count(
                Defi.objects.filter(call__jury=OuterRef("pk"), state__in=JURY_STATES).annotate(
                    jury_key=F("call__jury_id")
                )
            ),
        )
        .order_by("-project_call__closes_at")
    )


def defi_assignment_rows(jury: Jury) -> QuerySet[Defi]:
    """Each défi of the jury with its evaluations and their jurors, for the assignment page:
    those with the fewest jurors first (the ones staff must see to), then by number."""
    # Only what the table prints: a défi's texts and a juror's comments are long.
    evaluations = (
        DefiEvaluation.objects.select_related("member__user")
        .only(
            "pk",
            "defi",
            "state",
            "manual",
            "member__user__first_name",
            "member__user__last_name",
            "member__user__email",
        )
        .order_by("pk")
    )
    return (
        Defi.objects.filter(call__jury=jury, state__in=JURY_STATES)
        .select_related("administration")
        .only("pk", "title", "administration__name")
        .annotate(assigned=Count("evaluations"))
        .prefetch_related(Prefetch("evaluations", queryset=evaluations))
        .order_by("assigned", "pk")
    )


def defi_assignment_summary(jury: Jury) -> dict:
    """Counts above the assignment table, in one query: the défis, those that miss jurors
    and those that have none yet."""
    return (
        Defi.objects.filter(call__jury=jury, state__in=JURY_STATES)
        .annotate(assigned=Count("evaluations"))
        .aggregate(
            total=Count("pk"),
            lacking=Count("pk", filter=Q(assigned__lt=jury.jurors_per_dossier)),
            unassigned=Count("pk", filter=Q(assigned=0)),
        )
    )


def defi_conflict_count(jury: Jury, members: list[JuryMember]) -> int:
    """How many (défi, juror) pairs `jury_conflicts` lists for the jury (`members`: its
    active members), without loading 2,000 défis: the automatic rule reads only a défi's
    administration, so it runs once per administration and counts for each of its défis."""
    administrations = (
        Administration.objects.filter(defis__call__jury=jury, defis__state__in=JURY_STATES)
        .select_related("parent")
        .annotate(defi_count=Count("defis"))
        .order_by()
    )
    automatic = set()  # (administration pk, member pk)
    count = 0
    for administration in administrations:
        stand_in = Defi(administration=administration)
        pairs = _defi_jury().automatic_conflicts(members, [stand_in])
        automatic.update((administration.pk, member_pk) for _defi, member_pk in pairs)
        count += len(pairs) * administration.defi_count
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


# --- Jurors: their dossiers, their scores, their conflicts (views/jury.py) ---------------


def _defi_jury():
    # projects.jury imports this module (JURY_STATES): import the domain when called.
    from projects.jury import DEFI_JURY

    return DEFI_JURY


def get_defi_evaluation_for_juror(user: User, pk: int) -> DefiEvaluation:
    """The one access check of the juror's pages: the evaluation, only for the juror it is
    given to, while they sit on the jury and have no conflict of interest (declared or
    automatic) with the défi. Anyone else gets a 404, staff included (they follow
    evaluations on the selection pages), so that neither the evaluation nor the défi is
    disclosed."""
    if not user.is_authenticated:
        raise Http404
    evaluation = (
        DefiEvaluation.objects.filter(
            pk=pk,
            member__user=user,
            member__withdrawn_at__isnull=True,
            defi__state__in=JURY_STATES,
        )
        .select_related(
            "defi__administration__parent",
            "defi__call__promotion",
            "member__jury",
            "member__user__administration__parent",
        )
        .prefetch_related(
            evaluation_scores_prefetch(_defi_jury()),
            "defi__positions",
            "member__jury__criteria",
        )
        .first()
    )
    if evaluation is None:
        raise Http404
    if member_conflict_reason(_defi_jury(), evaluation.member, evaluation.defi):
        raise Http404
    history_attach([evaluation])
    return evaluation


def get_jury_member_for_juror(user: User, jury_pk: int) -> JuryMember:
    """A juror's active membership of a call's jury, for their conflicts page; 404 for
    anyone else."""
    if not user.is_authenticated:
        raise Http404
    member = (
        JuryMember.objects.filter(
            jury_id=jury_pk,
            user=user,
            withdrawn_at__isnull=True,
            jury__project_call__isnull=False,
        )
        .select_related("jury__project_call", "user__administration__parent")
        .first()
    )
    if member is None:
        raise Http404
    return member


def _state_counts(evaluations: list) -> dict:
    counts = dict.fromkeys(DefiEvaluation.State.values, 0)
    for evaluation in evaluations:
        counts[evaluation.state] += 1
    total = len(evaluations)
    submitted = counts[DefiEvaluation.State.SUBMITTED]
    return {
        "total": total,
        "submitted": submitted,
        "draft": counts[DefiEvaluation.State.DRAFT],
        "pending": counts[DefiEvaluation.State.PENDING],
        "left": total - submitted,
        "percent": round(100 * submitted / total) if total else 0,
    }


def jury_list_for_juror(user: User, now: datetime.datetime | None = None) -> list[dict]:
    """The juror's dashboard: each call's jury they sit on, with their dossiers and their
    progress. Two queries whatever the number of juries and dossiers.

    A dossier they are in conflict with is left out even if an evaluation row remains (it
    is deleted when they declare the conflict, but an automatic conflict can appear later,
    when an administration changes): the evaluation page refuses it, the list must agree.
    """
    now = now or timezone.now()
    members = list(
        JuryMember.objects.filter(
            user=user, withdrawn_at__isnull=True, jury__project_call__isnull=False
        )
        .select_related("jury__project_call", "user__administration__parent")
        .order_by("-jury__created_at", "pk")
    )
    if not members:
        return []
    declared = DefiConflict.objects.filter(member=OuterRef("member"), defi=OuterRef("defi"))
    evaluations = (
        DefiEvaluation.objects.filter(member__in=members, defi__state__in=JURY_STATES)
        .exclude(Exists(declared))
        .select_related("defi__administration__parent")
        .order_by("defi__title", "pk")
    )
    by_member = {member.pk: [] for member in members}
    for evaluation in evaluations:
        by_member[evaluation.member_id].append(evaluation)
    groups = []
    for member in members:
        mine = by_member[member.pk]
        automatic = _defi_jury().automatic_conflicts([member], [e.defi for e in mine])
        mine = [e for e in mine if (e.defi_id, member.pk) not in automatic]
        groups.append(
            {
                "jury": member.jury,
                "call": member.jury.project_call,
                "evaluations": mine,
                "scoring_open": member.jury.is_scoring_open(now),
                **_state_counts(mine),
            }
        )
    return groups


def defi_conflict_rows_for_juror(member: JuryMember) -> list[dict]:
    """Every dossier of the member's jury (title and administration only, the content stays
    hidden until a dossier is theirs) with the member's standing on it: an automatic
    conflict, a declared one, or none; and whether it is given to them. Three queries
    whatever the number of dossiers."""
    defis = list(
        Defi.objects.filter(call__jury_id=member.jury_id, state__in=JURY_STATES)
        .select_related("administration__parent")
        # What the page and the conflict rule read: a défi's texts are long, 2,000 of them.
        .only(
            "pk",
            "title",
            "administration__name",
            "administration__kind",
            "administration__parent__name",
            "administration__parent__kind",
        )
        .order_by("title", "pk")
    )
    automatic = _defi_jury().automatic_conflicts([member], defis)
    declared = dict(DefiConflict.objects.filter(member=member).values_list("defi_id", "reason"))
    assigned = set(DefiEvaluation.objects.filter(member=member).values_list("defi_id", flat=True))
    return [
        {
            "defi": defi,
            "automatic": automatic.get((defi.pk, member.pk), ""),
            "declared": defi.pk in declared,
            "declared_reason": declared.get(defi.pk, ""),
            "assigned": defi.pk in assigned and defi.pk not in declared,
        }
        for defi in defis
    ]


def defi_for_juror_conflict(member: JuryMember, pk: int) -> Defi:
    """A dossier of the member's jury, on which they may declare a conflict; 404 otherwise."""
    defi = Defi.objects.filter(pk=pk, call__jury_id=member.jury_id, state__in=JURY_STATES).first()
    if defi is None:
        raise Http404
    return defi


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


def defi_decision_warnings(defi: Defi, *, now: datetime.datetime | None = None) -> list[str]:
    """What the deliberation would decide without, in French: no submitted evaluation,
    evaluations made on an earlier text, no hearing, a hearing still to come or without the
    group's opinion. Two queries."""
    now = now or timezone.now()
    counts = DefiEvaluation.objects.filter(defi=defi).aggregate(
        due=Count("pk"),
        done=Count("pk", filter=Q(state=DefiEvaluation.State.SUBMITTED)),
        earlier=Count(
            "pk",
            filter=Q(
                state=DefiEvaluation.State.SUBMITTED,
                dossier_version__lt=defi.submitted_version,
            ),
        ),
    )
    warnings = []
    if not counts["done"]:
        warnings.append("Aucune évaluation soumise : le jury n'a pas noté ce défi.")
    elif counts["done"] < counts["due"]:
        warnings.append(
            f"Seules {counts['done']} évaluations sur {counts['due']} sont soumises."
            if counts["done"] > 1
            else f"Une seule évaluation sur {counts['due']} est soumise."
        )
    if counts["earlier"]:
        warnings.append(
            f"{counts['earlier']} évaluation(s) soumise(s) portent sur une version antérieure "
            "du défi, modifié depuis."
        )
    review = DefiReview.objects.filter(defi=defi).select_related("slot").first()
    if review is None or not review.is_shortlisted:
        warnings.append("Ce défi n'a été ni présélectionné ni auditionné.")
    elif review.slot is None and not review.heard_at:
        warnings.append("Aucune audition n'est prévue pour ce défi.")
    elif review.slot is not None and review.slot.starts_at > now:
        when = timezone.localtime(review.slot.starts_at)
        warnings.append(
            f"L'audition est prévue le {when:%d/%m/%Y à %H:%M} (heure de Paris) : la "
            "décision la précéderait."
        )
    elif not review.heard_at:
        warnings.append("Le groupe d'audition n'a pas rendu son avis.")
    return warnings


def score_table(criteria: list, evaluations: list, labels: list[str]) -> dict:
    """Scores of several evaluations side by side, one row per criterion and one column per
    evaluation (`labels` names the columns); each cell has the value, its label on the
    criterion's scale and the comment. The evaluations' scores are prefetched."""
    by_evaluation = [
        {score.criterion_id: score for score in evaluation.scores.all()}
        for evaluation in evaluations
    ]
    rows = []
    for criterion in criteria:
        scale = dict(criterion.scale)
        cells = []
        for scores in by_evaluation:
            score = scores.get(criterion.pk)
            value = score.value if score else None
            cells.append(
                {
                    "value": value,
                    "label": scale.get(value, "") if value is not None else "",
                    "comment": score.comment if score else "",
                }
            )
        rows.append({"criterion": criterion, "cells": cells})
    return {
        "columns": labels,
        "rows": rows,
        "overall": [evaluation.overall_comment for evaluation in evaluations],
    }


def defi_evaluation_others_for_juror(evaluation: DefiEvaluation, criteria: list) -> dict | None:
    """The other jurors' submitted scores of the same défi, as far as the jury lets this
    juror see them (`Jury.score_visibility`), or None when it does not. Jurors are numbered,
    never named, so that a score cannot be held against the person who gave it."""
    jury = evaluation.member.jury
    visibility = jury.score_visibility
    if visibility == Jury.Visibility.NEVER:
        return None
    if (
        visibility == Jury.Visibility.AFTER_OWN
        and evaluation.state != DefiEvaluation.State.SUBMITTED
    ):
        return None
    others = list(
        DefiEvaluation.objects.filter(
            defi_id=evaluation.defi_id,
            member__jury_id=jury.pk,
            state=DefiEvaluation.State.SUBMITTED,
        )
        .exclude(pk=evaluation.pk)
        .prefetch_related(evaluation_scores_prefetch(_defi_jury()))
        .order_by("pk")
    )
    labels = [f"Juré {number}" for number in range(1, len(others) + 1)]
    return score_table(criteria, others, labels)


# --- Shortlist, hearings, deliberation (views/deliberation.py) --------------------------


def defi_review_rows(jury: Jury, stage=None) -> QuerySet[Defi]:
    """Every défi of the jury with its review at one stage, the first by default (shortlist,
    slot and group, hearing opinion, decision; `defi.review` reads it): the pre-selection,
    hearings and deliberation pages, beside `jury_ranking`."""
    return (
        Defi.objects.filter(call__jury=jury, state__in=JURY_STATES)
        .annotate(
            stage_review=FilteredRelation(
                "review", condition=Q(review__stage=stage_ref(jury, stage))
            )
        )
        # The marker that `Defi.review` reads: the review was selected, even when absent.
        .annotate(stage_review_pk=F("stage_review__id"))
        .select_related("administration", "stage_review__slot__group")
        .order_by("title", "pk")
    )


# What the pre-selection and the deliberation print of a défi (`only()` does not combine
# with the stage's filtered review, hence `defer()` of everything else).
_DECISION_ROW_FIELDS = {"id", "title", "administration"}


def defi_decision_rows(jury: Jury, stage=None) -> QuerySet[Defi]:
    """`defi_review_rows` for the pre-selection and the deliberation, which print only the
    défi's title and administration: a défi's texts are long and they read all 2,000 défis."""
    deferred = [
        field.name for field in Defi._meta.concrete_fields if field.name not in _DECISION_ROW_FIELDS
    ] + [
        f"administration__{field.name}"
        for field in Administration._meta.concrete_fields
        if field.name not in {"id", "name"}
    ]
    return defi_review_rows(jury, stage).defer(*deferred)


def defi_hearing_rows(jury: Jury, stage=None) -> QuerySet[Defi]:
    """The shortlisted défis of the jury, by hearing time (those without a slot last)."""
    return (
        defi_review_rows(jury, stage)
        .filter(stage_review__shortlisted_at__isnull=False)
        .order_by(F("stage_review__slot__starts_at").asc(nulls_last=True), "title", "pk")
    )


def hearing_slot_rows(jury: Jury) -> QuerySet[HearingSlot]:
    """The jury's hearing slots with their group and the défi each one is given to."""
    review = DefiReview.objects.filter(slot=OuterRef("pk"))
    return (
        HearingSlot.objects.filter(jury=jury)
        .select_related("group")
        .annotate(
            defi_id=Subquery(review.values("defi_id")[:1]),
            defi_title=Subquery(review.values("defi__title")[:1]),
            defi_convoked_at=Subquery(review.values("convoked_at")[:1]),
        )
        .order_by("starts_at", "group__name", "pk")
    )


def jury_group_rows(jury: Jury) -> QuerySet[JuryGroup]:
    """The jury's hearing groups with their members and their number of slots."""
    return (
        jury.groups.annotate(slot_count=Count("slots"))
        .prefetch_related(
            Prefetch(
                "members",
                queryset=JuryMember.objects.select_related("user").order_by(
                    "user__last_name", "user__first_name", "pk"
                ),
            )
        )
        .order_by("name")
    )


def decision_record_list(jury: Jury) -> QuerySet[DecisionRecord]:
    return jury.decision_records.select_related("created_by").order_by("-version")


def get_review_for_hearing(user: User, jury_pk: int, defi_pk: int) -> DefiReview:
    """The one access check for a hearing opinion: programme staff, and the members of the
    défi's hearing group who have no conflict with it. Another juror of the jury, or a
    member in conflict, gets a 403 saying why; anyone else a 404."""
    from eig.jury.hearings import review_may_record_hearing
    from projects.jury import DEFI_JURY

    if not user.is_authenticated:
        raise Http404
    review = (
        DefiReview.objects.filter(
            jury_id=jury_pk,
            defi_id=defi_pk,
            defi__call__jury_id=jury_pk,
            slot__isnull=False,
        )
        .select_related("defi__administration", "defi__call__promotion", "slot__group", "jury")
        .order_by("stage__position")  # a jury of stages: the earliest hearing
        .first()
    )
    if review is not None:
        refusal = review_may_record_hearing(DEFI_JURY, review, user)
        if refusal is None:
            return review
    in_jury = JuryMember.objects.filter(
        jury_id=jury_pk, user=user, withdrawn_at__isnull=True
    ).exists()
    if review is None or not in_jury:
        raise Http404
    raise PermissionDenied(refusal)


def hearing_group_reviews(review: DefiReview) -> QuerySet[DefiReview]:
    """The défis the same group hears, with their opinions: the ranks already given."""
    return (
        DefiReview.objects.filter(slot__group_id=review.slot.group_id)
        .select_related("defi", "slot")
        .order_by("slot__starts_at", "pk")
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


def defi_hearings_for_juror(user: User) -> QuerySet[DefiReview]:
    """The hearings of the groups a juror sits in, for their dashboard: where and when, and
    whether the group's opinion is recorded."""
    return (
        DefiReview.objects.filter(
            slot__group__members__user=user, slot__group__members__withdrawn_at__isnull=True
        )
        .select_related("defi__administration", "slot__group")
        .order_by("slot__starts_at", "pk")
        .distinct()
    )


def defi_jury_personal_data(user: User) -> list[dict]:
    """A juror's part of the personal-data export: each jury they sit on, the conflicts they
    declared, and their own evaluations with scores and comments."""
    memberships = JuryMember.objects.filter(user=user).select_related("jury")
    evaluations = (
        DefiEvaluation.objects.filter(member__user=user)
        .select_related("defi")
        .prefetch_related(
            Prefetch("scores", queryset=DefiScore.objects.select_related("criterion"))
        )
        .order_by("pk")
    )
    conflicts = DefiConflict.objects.filter(member__user=user).select_related("defi")
    by_jury = {member.jury_id: [] for member in memberships}
    for evaluation in evaluations:
        by_jury.setdefault(evaluation.member.jury_id, []).append(evaluation)
    return [
        {
            "jury": str(member.jury),
            "expertise": member.expertise_labels,
            "retire_le": member.withdrawn_at.isoformat() if member.withdrawn_at else None,
            "conflits_declares": [
                {"defi": str(c.defi), "motif": c.reason, "le": c.declared_at.isoformat()}
                for c in conflicts
                if c.member_id == member.pk
            ],
            "evaluations": [
                {
                    "defi": str(evaluation.defi),
                    "etat": evaluation.get_state_display(),
                    "appreciation_generale": evaluation.overall_comment,
                    "notes": [
                        {"critere": s.criterion.name, "note": s.value, "commentaire": s.comment}
                        for s in evaluation.scores.all()
                    ],
                }
                for evaluation in by_jury.get(member.jury_id, [])
            ],
        }
        for member in memberships
    ]
