"""Reads shaped for the jury's screens (`eig/jury/views/`), written once for every domain.

Each function takes the `JuryDomain` of the jury it reads, or finds it from the jury through
the registry; the access helpers (`get_…`) answer 404 or 403 as the pages need.
"""

import datetime
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.base import ModelState
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from eig.accounts.models import display_name
from eig.history.selectors import history_attach
from eig.jury.domain import JuryDomain
from eig.jury.models import (
    AbstractEvaluation,
    Criterion,
    DecisionRecord,
    HearingSlot,
    Jury,
    JuryGroup,
    JuryMember,
    JuryStage,
)
from eig.jury.registry import domain_for, domains
from eig.jury.selectors import (
    _DerivedColumn,
    _DerivedTable,
    evaluation_scores_prefetch,
    jury_conflicts,
    slot_occupancy,
)
from eig.jury.stages import stage_dossiers, stage_ref

EvaluationState = AbstractEvaluation.State


# --- Juries ---------------------------------------------------------------------------------


def _served_juries() -> Q:
    """The juries whose domain is registered and that the domain serves."""
    served = [Q(domain=domain.key) & domain.jury_filter() for domain in domains()]
    return reduce(or_, served) if served else Q(pk__in=[])


def _jury_related() -> list[str]:
    return sorted({name for domain in domains() for name in domain.jury_related})


def get_jury_for_staff(user, pk: int) -> tuple[Jury, JuryDomain]:
    """The one access check of the staff pages of a jury: programme staff only; others get
    a 403 (the page exists, it is not theirs). The jury comes with its domain."""
    if not user.is_authenticated or not user.has_perm("jury.manage_jury"):
        raise PermissionDenied("Cette page est réservée à l'équipe du programme.")
    # With its number of stages: the pages that follow stages need no query to learn that
    # the jury has one.
    stages = JuryStage.objects.filter(jury=OuterRef("pk")).order_by().values("jury")
    jury = (
        Jury.objects.filter(_served_juries(), pk=pk)
        .select_related(*_jury_related())
        .annotate(stage_count=Subquery(stages.annotate(n=Count("pk")).values("n")))
        .first()
    )
    if jury is None:
        raise Http404
    return jury, domain_for(jury)


def jury_list_for_staff() -> QuerySet[Jury]:
    """The juries of every domain, newest first, with their sizes. Each count is its own
    subquery: joining members, criteria and dossiers at once multiplies their rows."""

    def count(queryset):
        counted = queryset.order_by().values("jury_key").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted), 0)

    dossier_counts = [
        (
            domain.key,
            count(
                domain.dossier_model.objects.filter(
                    domain.dossier_active_q(), **{domain.jury_path: OuterRef("pk")}
                ).annotate(jury_key=F(f"{domain.jury_path}_id"))
            ),
        )
        for domain in domains()
        if domain.jury_path
    ]
    dossier_count = (
        Case(*(When(domain=key, then=counted) for key, counted in dossier_counts), default=0)
        if dossier_counts
        else Value(0)
    )
    return (
        Jury.objects.filter(_served_juries())
        .select_related(*_jury_related())
        .annotate(
            member_count=count(
                JuryMember.objects.filter(jury=OuterRef("pk"), withdrawn_at__isnull=True).annotate(
                    jury_key=F("jury_id")
                )
            ),
            criterion_count=count(
                Criterion.objects.filter(jury=OuterRef("pk")).annotate(jury_key=F("jury_id"))
            ),
            dossier_count=dossier_count,
        )
        .order_by("-created_at", "-pk")
    )


# --- Assignment (staff) -----------------------------------------------------------------------


def stage_asked(request, jury: Jury) -> JuryStage | None:
    """The stage a staff page shows: `?etape=<position>`, else None (the jury's first
    stage, read inside the queries); 404 for a stage the jury does not have."""
    position = request.GET.get("etape")
    if not position:
        return None
    if not position.isdigit():
        raise Http404
    stage = get_object_or_404(JuryStage, jury=jury, position=int(position))
    stage.jury = jury
    return stage


def _plain(domain: JuryDomain, jury: Jury) -> QuerySet:
    """The jury's dossiers, without what `domain.dossiers` joins or prefetches for itself."""
    return domain.dossiers(jury).select_related(None).prefetch_related(None)


def _holder_related(domain: JuryDomain) -> list[str]:
    # "administration__name" is read through a join on the administration.
    return [domain.holder_field.rsplit("__", 1)[0]] if "__" in domain.holder_field else []


def assignment_rows(domain: JuryDomain, jury: Jury, stage: JuryStage | None = None) -> QuerySet:
    """Each dossier of one stage of the jury (the first unless `stage` says otherwise; at a
    later one, those shortlisted at the stage before) with its number of evaluations there
    (`assigned`, and `submitted`), for the assignment page: those with the fewest jurors
    first (the ones staff must see to), then by number. Only what the table prints: a
    dossier's texts are long.

    The evaluations are counted in a grouped subquery joined once, not by grouping the
    dossiers joined to them: `assigned` is then a plain column, which window counts can
    count (`assignment_counts`) so that the page and the summary are one query; and at
    2,000 dossiers that query takes the time the grouped page alone took."""
    dossiers = _plain(domain, jury)
    if stage is not None:
        dossiers = dossiers.filter(pk__in=stage_dossiers(domain, stage).values("pk"))
    field = domain.dossier_id_field
    # Only the jury's evaluations (the table of every jury's grows with each call), found
    # by their jurors: a juror evaluates only their jury's dossiers, and 60 jurors are a
    # cheaper filter than 2,000 dossiers (the outer join keeps only the jury's dossiers).
    counted = (
        domain.evaluation_model.objects.filter(member__jury=jury, stage=stage_ref(jury, stage))
        .order_by()
        .values(dossier_id=F(field))
        .annotate(
            assigned=Count("pk"), submitted=Count("pk", filter=Q(state=EvaluationState.SUBMITTED))
        )
    )
    rows = domain.light(dossiers.select_related(*_holder_related(domain)), domain.list_fields)
    query = rows.query
    alias = query.join(
        _DerivedTable(
            *counted.query.sql_with_params(),
            parent_alias=query.get_initial_alias(),
            parent_pk=rows.model._meta.pk.column,
            table_name="assignment_counts",
        )
    )
    assigned = Coalesce(_DerivedColumn(alias, "assigned", IntegerField()), Value(0))
    submitted = Coalesce(_DerivedColumn(alias, "submitted", IntegerField()), Value(0))
    return rows.annotate(assigned=assigned, submitted=submitted).order_by("assigned", "pk")


def assignment_counts(jury: Jury) -> dict[str, Q]:
    """What the assignment page counts of the rows of `assignment_rows`, besides them all:
    the dossiers that miss jurors and those that have none yet."""
    return {"lacking": Q(assigned__lt=jury.jurors_per_dossier), "unassigned": Q(assigned=0)}


def assignment_evaluations(domain: JuryDomain, dossier_pks, stage=None) -> dict[int, list[dict]]:
    """The evaluations of the page's dossiers, by dossier: each juror's name, the state and
    whether staff gave it by hand; at one `stage` when given. One query of values: a page
    shows ~150 evaluations, and a model instance for each, its juror and their account cost
    more than the rest of the page."""
    field = domain.dossier_id_field
    evaluations = domain.evaluation_model.objects.filter(**{f"{field}__in": list(dossier_pks)})
    if stage is not None:
        evaluations = evaluations.filter(stage=stage)
    rows = evaluations.order_by("pk").values(
        "pk",
        field,
        "state",
        "manual",
        "member__user_id",
        "member__user__first_name",
        "member__user__last_name",
        "member__user__email",
    )
    by_dossier: dict[int, list[dict]] = {}
    for row in rows:
        row["member"] = (
            display_name(
                row["member__user__first_name"],
                row["member__user__last_name"],
                row["member__user__email"],
            )
            if row["member__user_id"]
            else JuryMember.DELETED_LABEL
        )
        by_dossier.setdefault(row[field], []).append(row)
    return by_dossier


def assignment_summary(domain: JuryDomain, jury: Jury, stage: JuryStage | None = None) -> dict:
    """Counts above the assignment table, in one query: the dossiers (`total`) and each
    of `assignment_counts`. The unfiltered page counts them with its rows instead."""
    return (
        assignment_rows(domain, jury, stage)
        .order_by()
        .aggregate(
            total=Count("pk"),
            **{
                name: Count("pk", filter=condition)
                for name, condition in assignment_counts(jury).items()
            },
        )
    )


def conflict_count(domain: JuryDomain, jury: Jury, members: list[JuryMember]) -> int:
    """How many (dossier, juror) pairs are in conflict in the jury (`members`: its active
    members): the domain counts them its own way when it can do without loading every
    dossier."""
    if domain.conflict_count is not None:
        return domain.conflict_count(jury, members)
    return len(jury_conflicts(domain, jury, members=members))


# --- Jurors: their dossiers, their scores, their conflicts ------------------------------------


def get_evaluation_for_juror(domain: JuryDomain, user, pk: int):
    """The one access check of the juror's pages: the evaluation, only for the juror it is
    given to, while they sit on the jury and have no conflict of interest (declared or
    automatic) with the dossier (`jury.evaluate_evaluation`). Anyone else gets a 404, staff
    included (they follow evaluations on the selection pages), so that neither the
    evaluation nor the dossier is disclosed."""
    if not user.is_authenticated:
        raise Http404
    field = domain.dossier_field
    evaluation = (
        domain.evaluation_model.objects.filter(
            domain.dossier_active_q(f"{field}__"),
            pk=pk,
            member__user=user,
            member__jury__domain=domain.key,
        )
        .select_related(
            field,
            *(f"{field}__{name}" for name in domain.juror_related),
            "member__jury",
            *(f"member__jury__{name}" for name in domain.jury_related),
            "member__user__administration__parent",
            "stage",
        )
        .prefetch_related(
            evaluation_scores_prefetch(domain),
            *(f"{field}__{name}" for name in domain.juror_prefetch),
            "member__jury__criteria",
        )
        .first()
    )
    if evaluation is None or not user.has_perm("jury.evaluate_evaluation", evaluation):
        raise Http404
    history_attach([evaluation])
    return evaluation


def get_jury_member_for_juror(user, jury_pk: int) -> tuple[JuryMember, JuryDomain]:
    """A juror's active membership of a jury, for their conflicts page; 404 for anyone
    else."""
    if not user.is_authenticated:
        raise Http404
    member = (
        JuryMember.objects.filter(
            jury__in=Jury.objects.filter(_served_juries()),
            jury_id=jury_pk,
            user=user,
            withdrawn_at__isnull=True,
        )
        .select_related(*(f"jury__{name}" for name in _jury_related()))
        .select_related("jury", "user__administration__parent")
        .first()
    )
    if member is None or not user.has_perm("jury.declare_conflict", member):
        raise Http404
    return member, domain_for(member.jury)


def _state_counts(evaluations: list) -> dict:
    counts = dict.fromkeys(EvaluationState.values, 0)
    for evaluation in evaluations:
        counts[evaluation.state] += 1
    total = len(evaluations)
    submitted = counts[EvaluationState.SUBMITTED]
    return {
        "total": total,
        "submitted": submitted,
        "draft": counts[EvaluationState.DRAFT],
        "pending": counts[EvaluationState.PENDING],
        "left": total - submitted,
        "percent": round(100 * submitted / total) if total else 0,
    }


def juror_memberships(user) -> list[JuryMember]:
    """The juror's active memberships of the juries the engine serves, newest jury first,
    each with `in_hearing_group` (whether they sit in one of its hearing groups)."""
    return list(
        JuryMember.objects.filter(_served_juries_of_member(), user=user, withdrawn_at__isnull=True)
        .annotate(
            in_hearing_group=Exists(
                JuryGroup.members.through.objects.filter(jurymember=OuterRef("pk"))
            )
        )
        .select_related("jury", "user__administration__parent")
        .select_related(*(f"jury__{name}" for name in _jury_related()))
        .order_by("-jury__created_at", "pk")
    )


def _served_juries_of_member() -> Q:
    served = [
        Q(jury__domain=domain.key, jury__in=Jury.objects.filter(domain.jury_filter()))
        for domain in domains()
    ]
    return reduce(or_, served) if served else Q(pk__in=[])


def _dashboard_columns(domain: JuryDomain, evaluations: QuerySet) -> QuerySet:
    """The evaluations with only what the dashboard reads of them and of their dossier: its
    title, version and state, and the columns the domain's conflict rule reads (its
    holder among them). A dossier's texts are long, and a juror may list a hundred."""
    field = domain.dossier_field
    paths = {domain.title_field, domain.dossier_version_field, domain.state_field}
    paths |= set(domain.conflict_fields)
    paths -= {"", "pk"}
    relations = {
        "__".join(path.split("__")[:depth])
        for path in paths
        for depth in range(1, path.count("__") + 1)
    }
    return evaluations.select_related(
        field, *(f"{field}__{relation}" for relation in relations), "stage"
    ).only(
        "pk",
        "member",
        "stage__jury",
        "stage__position",
        "stage__name",
        "stage__scoring_deadline",
        "state",
        "dossier_version",
        field,
        *(f"{field}__{path}" for path in paths),
    )


def _deadlines(jury: Jury, evaluations: list, now: datetime.datetime) -> list[dict]:
    """The deadlines a juror meets on the jury, one per stage of their evaluations (an
    interview stage may close after the written one), in the stages' order: `stage`,
    `deadline` (the stage's own, else the jury's) and whether scoring is `open`. The
    jury's own when they have no evaluation."""
    stages = {evaluation.stage.pk: evaluation.stage for evaluation in evaluations}
    if not stages:
        return [
            {"stage": None, "deadline": jury.scoring_deadline, "open": jury.is_scoring_open(now)}
        ]
    return [
        {"stage": stage, "deadline": stage.deadline, "open": stage.is_scoring_open(now)}
        for stage in sorted(stages.values(), key=lambda stage: stage.position)
    ]


def jury_list_for_juror(user, now: datetime.datetime | None = None, *, members=None) -> list:
    """The juror's dashboard: each jury they sit on, of every domain, with their dossiers
    and their progress. One query, and one per domain they are a juror of, whatever the
    number of juries and dossiers.

    A dossier they are in conflict with is left out even if an evaluation row remains (it
    is deleted when they declare the conflict, but an automatic conflict can appear later,
    when an administration changes): the evaluation page refuses it, the list must agree.
    """
    now = now or timezone.now()
    members = juror_memberships(user) if members is None else members
    if not members:
        return []
    by_member = {member.pk: [] for member in members}
    juries = {member.pk: member.jury for member in members}
    for domain in _domains_of(members):
        field = domain.dossier_field
        declared = domain.conflict_model.objects.filter(
            member=OuterRef("member"), **{field: OuterRef(field)}
        )
        evaluations = (
            domain.evaluation_model.objects.filter(
                domain.dossier_active_q(f"{field}__"),
                member__in=[m for m in members if m.jury.domain == domain.key],
            )
            .exclude(Exists(declared))
            .order_by(*([f"{field}__{domain.title_field}"] if domain.title_field else []), "pk")
        )
        for evaluation in _dashboard_columns(domain, evaluations):
            jury = juries[evaluation.member_id]
            evaluation.stage.jury = jury  # its deadline falls back on the jury's
            evaluation.scoring_open = evaluation.stage.is_scoring_open(now)
            evaluation.dossier = domain.dossier_of(evaluation)
            evaluation.label = domain.label_for_juror(evaluation.dossier, jury)
            evaluation.holder = domain.holder_for_juror(evaluation.dossier, jury)
            by_member[evaluation.member_id].append(evaluation)
    groups = []
    for member in members:
        domain = domain_for(member.jury)
        mine = by_member[member.pk]
        automatic = domain.automatic_conflicts([member], [e.dossier for e in mine])
        mine = [e for e in mine if (e.dossier.pk, member.pk) not in automatic]
        groups.append(
            {
                "jury": member.jury,
                "domain": domain,
                "anonymous": domain.is_anonymous(member.jury),
                "nouns": domain.nouns,
                "call": domain.jury_call(member.jury),
                "evaluations": mine,
                "deadlines": _deadlines(member.jury, mine, now),
                **_state_counts(mine),
            }
        )
    return groups


def _domains_of(members) -> list[JuryDomain]:
    keys = {member.jury.domain for member in members}
    return [domain for domain in domains() if domain.key in keys]


def _few_columns(queryset: QuerySet, paths: tuple[str, ...]) -> list:
    """The queryset's rows as model instances holding only `paths` ("title",
    "administration__name", "administration__parent__kind"…), each related object built
    once and shared by the rows that point to it, as `select_related` sets it: what the
    conflicts page and the domain's conflict rule read of 2,000 dossiers, from a few
    columns, without 2,000 instances built field by field and their related ones each.
    Reading a field left out costs a query, as with `only()`."""
    model = queryset.model
    # Each owner ("" for the dossier, "administration", "administration__parent"…) with
    # its model and the fields read of it; relations read their key from their owner.
    owners: dict[str, tuple] = {"": (model, [])}
    for path in paths:
        *relations, name = path.split("__")
        owner, current = "", model
        for relation in relations:
            field = current._meta.get_field(relation)
            child = f"{owner}__{relation}" if owner else relation
            if child not in owners:
                owners[child] = (field.related_model, [])
                owners[owner][1].append((relation, field.attname, child))
            owner, current = child, field.related_model
        field = current._meta.pk if name == "pk" else current._meta.get_field(name)
        if (name, field.attname, None) not in owners[owner][1]:
            owners[owner][1].append((name, field.attname, None))
    columns, where = [], {}
    for owner, (_model, fields) in owners.items():
        for name, _attname, _child in fields:
            where[(owner, name)] = len(columns)
            columns.append(f"{owner}__{name}" if owner else name)
    if ("", "pk") not in where:
        where[("", "pk")] = len(columns)
        columns.append("pk")
    shared: dict[tuple, object] = {}

    def build(owner: str, row: tuple, pk):
        key = (owner, pk)
        if owner and key in shared:
            return shared[key]
        owner_model, fields = owners[owner]
        instance = owner_model.__new__(owner_model)
        instance._state = ModelState()
        instance._state.adding, instance._state.db = False, queryset.db
        values = instance.__dict__
        values[owner_model._meta.pk.attname] = pk
        for name, attname, child in fields:
            value = row[where[(owner, name)]]
            values[attname] = value
            if child is not None:
                instance._state.fields_cache[name] = (
                    None if value is None else build(child, row, value)
                )
        if owner:
            shared[key] = instance
        return instance

    pk_index = where[("", "pk")]
    return [build("", row, row[pk_index]) for row in queryset.values_list(*columns)]


def conflict_dossiers_for_juror(domain: JuryDomain, member: JuryMember) -> QuerySet:
    """The dossiers of the member's jury in the order of their conflicts page: by title
    where the domain has one, then by number."""
    dossiers = domain.dossiers(member.jury).select_related(None).prefetch_related(None)
    return dossiers.order_by(*([domain.title_field] if domain.title_field else []), "pk")


def conflict_rows_for_juror(domain: JuryDomain, member: JuryMember, dossiers=None) -> list[dict]:
    """Each dossier of `dossiers` (a page of `conflict_dossiers_for_juror`; every dossier
    of the member's jury when None) with its label, its holder unless the jury is anonymous
    (the content stays hidden until a dossier is theirs), and the member's standing on it:
    an automatic conflict, a declared one, or none; and whether it is given to them. Three
    queries whatever the number of dossiers."""
    if dossiers is None:
        dossiers = conflict_dossiers_for_juror(domain, member)
    if domain.conflict_fields:
        dossiers = _few_columns(dossiers, domain.conflict_fields)
    else:
        dossiers = list(dossiers)
    automatic = domain.automatic_conflicts([member], dossiers)
    pks = [dossier.pk for dossier in dossiers]
    declared = dict(
        domain.conflict_model.objects.filter(
            member=member, **{f"{domain.dossier_id_field}__in": pks}
        ).values_list(domain.dossier_id_field, "reason")
    )
    assigned = set(
        domain.evaluation_model.objects.filter(
            member=member, **{f"{domain.dossier_id_field}__in": pks}
        ).values_list(domain.dossier_id_field, flat=True)
    )
    return [
        {
            "dossier": dossier,
            "label": domain.label_for_juror(dossier, member.jury),
            "holder": domain.holder_for_juror(dossier, member.jury),
            "automatic": automatic.get((dossier.pk, member.pk), ""),
            "declared": dossier.pk in declared,
            "declared_reason": declared.get(dossier.pk, ""),
            "assigned": dossier.pk in assigned and dossier.pk not in declared,
        }
        for dossier in dossiers
    ]


def dossier_for_juror_conflict(domain: JuryDomain, member: JuryMember, pk: int):
    """A dossier of the member's jury, on which they may declare a conflict; 404 otherwise."""
    dossier = _plain(domain, member.jury).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    return dossier


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


def evaluation_others_for_juror(domain: JuryDomain, evaluation, criteria: list) -> dict | None:
    """The other jurors' submitted scores of the same dossier, as far as the jury lets this
    juror see them (`Jury.score_visibility`), or None when it does not. Jurors are numbered,
    never named, so that a score cannot be held against the person who gave it."""
    jury = evaluation.member.jury
    visibility = jury.score_visibility
    if visibility == Jury.Visibility.NEVER:
        return None
    if visibility == Jury.Visibility.AFTER_OWN and evaluation.state != EvaluationState.SUBMITTED:
        return None
    others = list(
        domain.evaluation_model.objects.filter(
            member__jury_id=jury.pk,
            state=EvaluationState.SUBMITTED,
            **{domain.dossier_id_field: getattr(evaluation, domain.dossier_id_field)},
        )
        .exclude(pk=evaluation.pk)
        .prefetch_related(evaluation_scores_prefetch(domain))
        .order_by("pk")
    )
    labels = [f"Juré {number}" for number in range(1, len(others) + 1)]
    return score_table(criteria, others, labels)


# --- Shortlist, hearings, deliberation (staff) ------------------------------------------------


def review_rows(domain: JuryDomain, jury: Jury, stage: JuryStage | None = None) -> QuerySet:
    """Every dossier of the jury with its review at one stage, the first unless `stage`
    says otherwise (shortlist, slot and group, hearing opinion, decision; read it with
    `domain.review_of`): the pre-selection, hearings and deliberation pages, beside
    `jury_ranking`."""
    review = domain.review_relation
    return (
        _plain(domain, jury)
        .annotate(
            stage_review=FilteredRelation(
                review, condition=Q(**{f"{review}__stage": stage_ref(jury, stage)})
            )
        )
        # The marker that `domain.review_of` reads: the review was selected, even when absent.
        .annotate(stage_review_pk=F("stage_review__id"))
        .select_related(*_holder_related(domain), "stage_review__slot__group")
        .order_by(*([domain.title_field] if domain.title_field else []), "pk")
    )


def _list_fields_deferred(domain: JuryDomain) -> list[str]:
    """Every field of the dossier (and of the models its `list_fields` reach) that the
    lists do not print: `only()` does not combine with the stage's filtered review, hence
    `defer()` of everything else."""
    model = domain.dossier_model
    kept = {path.split("__", 1)[0] for path in domain.list_fields}
    deferred = [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in kept
    ]
    # The fields kept of each relation: several may be read of one (a person's names).
    read: dict[str, set[str]] = {}
    for path in domain.list_fields:
        if "__" in path:
            relation, name = path.split("__", 1)
            read.setdefault(relation, set()).add(name)
    for relation, names in read.items():
        related = model._meta.get_field(relation).related_model
        deferred += [
            f"{relation}__{field.name}"
            for field in related._meta.concrete_fields
            if not field.primary_key and field.name not in names
        ]
    return deferred


def decision_rows(domain: JuryDomain, jury: Jury, stage: JuryStage | None = None) -> QuerySet:
    """`review_rows` for the pre-selection and the deliberation, which print only the
    dossier's label and holder: a dossier's texts are long and they read all 2,000."""
    if not domain.list_fields:
        return review_rows(domain, jury, stage)
    return review_rows(domain, jury, stage).defer(*_list_fields_deferred(domain))


def hearing_rows(domain: JuryDomain, jury: Jury, stage: JuryStage | None = None) -> QuerySet:
    """The dossiers of the jury shortlisted at one stage (the first unless `stage` says
    otherwise), by hearing time (those without a slot last). The hearings page prints their
    label and holder only, as `decision_rows` reads them: its window counts hold every
    shortlisted dossier's row until the page is sorted out of them."""
    return (
        decision_rows(domain, jury, stage)
        .filter(stage_review__shortlisted_at__isnull=False)
        .order_by(
            F("stage_review__slot__starts_at").asc(nulls_last=True),
            *([domain.title_field] if domain.title_field else []),
            "pk",
        )
    )


def hearing_slot_rows(domain: JuryDomain, jury: Jury) -> QuerySet[HearingSlot]:
    """The jury's hearing slots with their group, the dossier each one is given to (the
    first, for a slot of several places), and `booked` / `free` (see `slot_occupancy`)."""
    review = domain.review_model.objects.filter(slot=OuterRef("pk")).order_by("pk")
    title = f"{domain.dossier_field}__{domain.title_field}" if domain.title_field else "pk"
    return slot_occupancy(domain, jury).annotate(
        dossier_id=Subquery(review.values(domain.dossier_id_field)[:1]),
        dossier_title=Subquery(review.values(title)[:1]),
        dossier_convoked_at=Subquery(review.values("convoked_at")[:1]),
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


def decision_warnings(domain: JuryDomain, dossier, *, now=None) -> list[str]:
    """What the deliberation would decide without, in French: no submitted evaluation,
    evaluations made on an earlier text, no hearing, a hearing still to come or without the
    group's opinion. Two queries."""
    now = now or timezone.now()
    nouns = domain.nouns
    earlier = Q(pk__in=[])
    if domain.dossier_version_field:
        earlier = Q(
            state=EvaluationState.SUBMITTED,
            dossier_version__lt=getattr(dossier, domain.dossier_version_field),
        )
    counts = domain.evaluation_model.objects.filter(**{domain.dossier_field: dossier}).aggregate(
        due=Count("pk"),
        done=Count("pk", filter=Q(state=EvaluationState.SUBMITTED)),
        earlier=Count("pk", filter=earlier),
    )
    warnings = []
    if not counts["done"]:
        warnings.append(f"Aucune évaluation soumise : le jury n'a pas noté {nouns.this}.")
    elif counts["done"] < counts["due"]:
        warnings.append(
            f"Seules {counts['done']} évaluations sur {counts['due']} sont soumises."
            if counts["done"] > 1
            else f"Une seule évaluation sur {counts['due']} est soumise."
        )
    if counts["earlier"]:
        modified = f"modifié{nouns.e}"
        warnings.append(
            f"{counts['earlier']} évaluation(s) soumise(s) portent sur une version antérieure "
            f"{nouns.of}, {modified} depuis."
        )
    review = (
        domain.review_model.objects.filter(**{domain.dossier_field: dossier})
        .select_related("slot")
        .first()
    )
    neither = (
        "ni présélectionnée ni auditionnée" if nouns.feminine else "ni présélectionné ni auditionné"
    )
    if review is None or not review.is_shortlisted:
        warnings.append(f"{nouns.this.capitalize()} n'a été {neither}.")
    elif review.slot is None and not review.heard_at:
        warnings.append(f"Aucune audition n'est prévue pour {nouns.this}.")
    elif review.slot is not None and review.slot.starts_at > now:
        when = timezone.localtime(review.slot.starts_at)
        warnings.append(
            f"L'audition est prévue le {when:%d/%m/%Y à %H:%M} (heure de Paris) : la "
            "décision la précéderait."
        )
    elif not review.heard_at:
        warnings.append("Le groupe d'audition n'a pas rendu son avis.")
    return warnings


def get_review_for_hearing(user, jury_pk: int, dossier_pk: int):
    """The one access check for a hearing opinion (`jury.record_hearing`): programme staff,
    and the members of the dossier's hearing group who have no conflict with it. Another
    juror of the jury, or a member in conflict, gets a 403 saying why; anyone else a 404.
    Returns the review and the domain."""
    from eig.jury.hearings import review_may_record_hearing

    if not user.is_authenticated:
        raise Http404
    jury = Jury.objects.filter(_served_juries(), pk=jury_pk).first()
    if jury is None:
        raise Http404
    domain = domain_for(jury)
    field = domain.dossier_field
    review = (
        domain.review_model.objects.filter(
            jury_id=jury_pk,
            slot__isnull=False,
            **{domain.dossier_id_field: dossier_pk},
        )
        .filter(**{f"{field}__in": _plain(domain, jury)})
        .select_related(
            field,
            *(f"{field}__{name}" for name in domain.juror_related),
            "slot__group",
            "jury",
        )
        .order_by("stage__position")  # a jury of stages: the earliest hearing
        .first()
    )
    if review is not None:
        if user.has_perm("jury.record_hearing", review):
            return review, domain
        # The same predicate, for the sentence that says why.
        refusal = review_may_record_hearing(domain, review, user)
    in_jury = JuryMember.objects.filter(
        jury_id=jury_pk, user=user, withdrawn_at__isnull=True
    ).exists()
    if review is None or not in_jury:
        raise Http404
    raise PermissionDenied(refusal)


def hearing_group_reviews(domain: JuryDomain, review) -> QuerySet:
    """The dossiers the same group hears, with their opinions: the ranks already given."""
    return (
        domain.review_model.objects.filter(slot__group_id=review.slot.group_id)
        .select_related(domain.dossier_field, "slot")
        .order_by("slot__starts_at", "pk")
    )


def hearings_for_juror(members: list[JuryMember]) -> list:
    """The hearings of the groups a juror sits in (`members`: their active memberships),
    for their dashboard: where and when, and whether the group's opinion is recorded. One
    query per domain they sit in."""
    hearings = []
    # Most jurors sit in no hearing group: their memberships say so, and no query runs.
    members = [member for member in members if getattr(member, "in_hearing_group", True)]
    juries = {member.jury_id: member.jury for member in members}
    for domain in _domains_of(members):
        field = domain.dossier_field
        groups = JuryGroup.objects.filter(
            members__in=[m for m in members if m.jury.domain == domain.key]
        )
        # The groups in a subquery, so that no row repeats and no DISTINCT sorts the rows.
        reviews = (
            domain.review_model.objects.filter(slot__group__in=groups.values("pk"))
            .select_related(field, *(f"{field}__{n}" for n in domain.juror_related), "slot__group")
            .order_by("slot__starts_at", "pk")
        )
        for review in reviews:
            review.dossier = domain.dossier_of(review)
            jury = juries[review.jury_id]
            review.label = domain.label_for_juror(review.dossier, jury)
            review.holder = domain.holder_for_juror(review.dossier, jury)
            hearings.append(review)
    return sorted(hearings, key=lambda review: (review.slot.starts_at, review.pk))
