"""Reads of the jury engine, shaped once for their pages."""

import hashlib

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Expression,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Max,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.db.models.sql.constants import INNER, LOUTER
from django.http import Http404

from eig.history.selectors import history_attach
from eig.jury.domain import ConflictMap, JuryDomain
from eig.jury.models import AbstractEvaluation, Criterion, Jury, JuryMember, JuryStage
from eig.jury.stages import stage_dossiers, stage_ref


def jury_members_active(jury: Jury) -> QuerySet[JuryMember]:
    return (
        jury.members.filter(withdrawn_at__isnull=True)
        .select_related("user__administration__parent")
        .order_by("pk")
    )


def jury_conflicts(domain: JuryDomain, jury: Jury, *, members=None, dossiers=None) -> ConflictMap:
    """Every conflict of the jury, declared or automatic: (dossier pk, member pk) -> reason."""
    members = list(members if members is not None else jury_members_active(jury))
    dossiers = list(dossiers if dossiers is not None else domain.dossiers(jury))
    conflicts = dict(domain.automatic_conflicts(members, dossiers))
    declared = domain.conflict_model.objects.filter(member__jury=jury).values_list(
        domain.dossier_id_field, "member_id", "reason"
    )
    for dossier_id, member_id, reason in declared:
        conflicts[(dossier_id, member_id)] = (
            f"Déclaré par le juré : {reason}" if reason else "Déclaré par le juré"
        )
    return conflicts


def member_conflict_reason(domain: JuryDomain, member: JuryMember, dossier) -> str | None:
    """Why this juror may not evaluate this dossier, or None."""
    declared = (
        domain.conflict_model.objects.filter(member=member, **{domain.dossier_field: dossier})
        .values_list("reason", flat=True)
        .first()
    )
    if declared is not None:
        return f"Déclaré par le juré : {declared}" if declared else "Déclaré par le juré"
    return domain.automatic_conflicts([member], [dossier]).get((dossier.pk, member.pk))


def evaluation_list_for_juror(domain: JuryDomain, user) -> QuerySet:
    """A juror's evaluations in every jury they sit on and have not left, dossier first."""
    return (
        domain.evaluation_model.objects.filter(member__user=user, member__withdrawn_at__isnull=True)
        .select_related("member__jury", domain.dossier_field)
        .order_by("member__jury_id", "state", "pk")
    )


def jury_progress(domain: JuryDomain, jury: Jury, stage: JuryStage | None = None) -> dict:
    """Counts for the staff summary at one stage (the first by default): evaluations due,
    submitted, drafts, not started."""
    counts = (
        domain.evaluations(jury)
        .filter(stage=stage_ref(jury, stage))
        .aggregate(
            due=Count("pk"),
            submitted=Count("pk", filter=Q(state="submitted")),
            draft=Count("pk", filter=Q(state="draft")),
            pending=Count("pk", filter=Q(state="pending")),
        )
    )
    counts["percent"] = round(100 * counts["submitted"] / counts["due"]) if counts["due"] else 0
    return counts


def jury_member_loads(
    domain: JuryDomain, jury: Jury, stage: JuryStage | None = None
) -> QuerySet[JuryMember]:
    """The pool with each member's load and progress at one stage (the first by default),
    for the assignment page."""
    evaluations = f"{domain.evaluation_model._meta.model_name}s"
    at_stage = Q(**{f"{evaluations}__stage": stage_ref(jury, stage)})
    return (
        jury.members.select_related("user__administration")
        .annotate(
            load=Count(evaluations, distinct=True, filter=at_stage),
            submitted=Count(
                evaluations, filter=at_stage & Q(**{f"{evaluations}__state": "submitted"})
            ),
        )
        .order_by("withdrawn_at", "user__last_name", "user__first_name", "pk")
    )


def evaluation_scores_prefetch(domain: JuryDomain) -> Prefetch:
    return Prefetch("scores", queryset=domain.score_model.objects.select_related("criterion"))


# --- Ranking (staff: projects/views/ranking.py) ------------------------------------------
#
# What the ranking shows of each dossier, over its *submitted* evaluations only (a pending
# or draft evaluation counts in `due`, nowhere else):
#   due, done   its evaluations, and those submitted;
#   crit_<pk>   the mean of the scores given on that criterion;
#   weighted    the weighted mean of those per-criterion means, Σ weight × crit / Σ weight
#               over the criteria that have a mean: the jury's score, and the default order;
#   mean, median, spread
#               of the jurors' overall scores, a juror's overall score being the weighted
#               mean of their own scores (Σ weight × value / Σ weight over the criteria they
#               scored); the median is percentile_cont(0.5) (the mean of the two middle
#               scores for an even count), the spread max − min (0 for a single juror);
#   spread_flagged  spread > jury.spread_threshold;
#   rank        RANK() by weighted among the jury's dossiers, best first, ties sharing a
#               rank; none for a dossier no juror has submitted yet.
# As long as every submitted evaluation scores every criterion (evaluation_save requires
# it), mean equals weighted; they part only if the grid changed after some submissions.
# Every value is NULL for a dossier without a submitted evaluation (due and done are 0).

RANKING_SCORES = ("weighted", "mean", "median", "spread")


def ranking_criterion_key(criterion: Criterion) -> str:
    return f"crit_{criterion.pk}"


class _DerivedTable:
    """`LEFT OUTER JOIN (<sql>) alias ON alias.dossier_id = <dossier>.<pk>`: a join on a
    subquery, which the ORM has no word for. It is an entry of `Query.alias_map`, with the
    interface of `django.db.models.sql.datastructures.Join`.

    Why not `Subquery` annotations: the median and the spread aggregate the jurors' overall
    scores, themselves aggregates of the scores, so each figure would be a correlated
    subquery run once per dossier. On the bench's 2,000 dossiers (bench/ranking.py), even a
    single correlated subquery returning every figure at once took twice the time of this
    grouped subquery joined once; one per column multiplies that."""

    nullable = True
    filtered_relation = None

    def __init__(self, sql, params, *, parent_alias, parent_pk, table_name, join_type=LOUTER):
        self.sql, self.params = sql, tuple(params)
        self.parent_alias, self.parent_pk = parent_alias, parent_pk
        self.table_name = self.table_alias = table_name
        self.join_type = join_type

    def as_sql(self, compiler, connection):
        qn, qn2 = compiler.quote_name_unless_alias, connection.ops.quote_name
        alias = qn(self.table_alias)
        on = f"{alias}.{qn2('dossier_id')} = {qn(self.parent_alias)}.{qn2(self.parent_pk)}"
        return f"{self.join_type} ({self.sql}) {alias} ON ({on})", list(self.params)

    def relabeled_clone(self, change_map):
        clone = _DerivedTable(
            self.sql,
            self.params,
            parent_alias=change_map.get(self.parent_alias, self.parent_alias),
            parent_pk=self.parent_pk,
            table_name=self.table_name,
            join_type=self.join_type,
        )
        clone.table_alias = change_map.get(self.table_alias, self.table_alias)
        return clone

    @property
    def identity(self):
        return (self.__class__, self.sql, self.params, self.parent_alias)

    def __eq__(self, other):
        return isinstance(other, _DerivedTable) and self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)

    def demote(self):
        clone = self.relabeled_clone({})
        clone.join_type = INNER
        return clone

    def promote(self):
        clone = self.relabeled_clone({})
        clone.join_type = LOUTER
        return clone


class _DerivedColumn(Expression):
    """A column of a `_DerivedTable`."""

    contains_aggregate = False
    contains_over_clause = False

    def __init__(self, alias, column, output_field):
        super().__init__(output_field=output_field)
        self.alias, self.column = alias, column

    def as_sql(self, compiler, connection):
        qn = compiler.quote_name_unless_alias
        return f"{qn(self.alias)}.{connection.ops.quote_name(self.column)}", []

    def relabeled_clone(self, change_map):
        return _DerivedColumn(
            change_map.get(self.alias, self.alias), self.column, self.output_field
        )

    def get_group_by_cols(self):
        return [self]


def _weighted_mean_sql(table: str, grid) -> str:
    """Σ weight × column / Σ weight over the columns of `table` that are not NULL; NULL
    when all are."""
    if not grid:
        return "NULL::float8"
    # float8 literals: a bare 2.0 is numeric in PostgreSQL, and numeric sums are slow.
    numerator = " + ".join(
        f"COALESCE({weight!r}::float8 * {table}.{key}, 0::float8)" for key, _pk, weight in grid
    )
    denominator = " + ".join(
        f"(CASE WHEN {table}.{key} IS NULL THEN 0::float8 ELSE {weight!r}::float8 END)"
        for key, _pk, weight in grid
    )
    return f"({numerator}) / NULLIF({denominator}, 0)"


def _rounded(sql: str) -> str:
    # Ten decimals: equal figures reached through different float sums compare equal, so
    # that they tie in the rank and the order, and a spread equal to the threshold is not
    # flagged.
    return f"ROUND(({sql}) * 1e10) / 1e10"


def _ranking_sql(
    domain: JuryDomain, jury: Jury, criteria: list[Criterion], dossiers, stage: JuryStage | None
):
    """The per-dossier figures, one row per dossier that has evaluations, built from the
    innermost level out: an evaluation's scores side by side, the evaluation with its
    overall score, the dossier's evaluations grouped, then the jury's score and the rank.
    Criterion ids and weights are written in the SQL as numbers (coerced with int() and
    float()); everything else is a parameter."""
    qn = connection.ops.quote_name
    evaluation = domain.evaluation_model._meta
    score = domain.score_model._meta
    member = JuryMember._meta

    def column(meta, name):
        return qn(meta.get_field(name).column)

    dossier_column = column(evaluation, domain.dossier_field)
    criterion_column = column(score, "criterion")
    grid = [
        (ranking_criterion_key(criterion), int(criterion.pk), float(criterion.weight))
        for criterion in criteria
    ]
    keys = [key for key, _pk, _weight in grid]

    scores_sql = (
        f"SELECT s.{column(score, 'evaluation')} AS evaluation_id"
        + "".join(
            f", MAX(s.{column(score, 'value')}::float8)"
            f" FILTER (WHERE s.{criterion_column} = {pk}) AS {key}"
            for key, pk, _weight in grid
        )
        + f" FROM {qn(score.db_table)} s"
        + f" WHERE s.{criterion_column} IN ({', '.join(str(pk) for _key, pk, _weight in grid)})"
        + " GROUP BY 1"
        if grid
        else "SELECT NULL::bigint AS evaluation_id WHERE false"
    )
    dossiers_sql, dossiers_params = dossiers.values("pk").query.sql_with_params()
    evaluations_sql = (
        f"SELECT e.{dossier_column} AS dossier_id, e.{column(evaluation, 'state')} AS state"
        + f", e.{column(evaluation, 'dossier_version')} AS dossier_version"
        + "".join(f", t.{key}" for key in keys)
        + f", {_weighted_mean_sql('t', grid)} AS total"
        + f" FROM {qn(evaluation.db_table)} e"
        + f" LEFT JOIN ({scores_sql}) t ON t.evaluation_id = e.{column(evaluation, 'id')}"
        + f" AND e.{column(evaluation, 'state')} = %s"
        + f" WHERE e.{column(evaluation, 'member')} IN"
        + f" (SELECT {column(member, 'id')} FROM {qn(member.db_table)}"
        + f" WHERE {column(member, 'jury')} = %s)"
        + f" AND e.{column(evaluation, 'stage')} = "
        + (
            "%s"
            if stage is not None
            # The jury's first stage, read inside the query (no query of its own).
            else f"(SELECT s.id FROM {qn(JuryStage._meta.db_table)} s"
            " WHERE s.jury_id = %s ORDER BY s.position LIMIT 1)"
        )
        + f" AND e.{dossier_column} IN ({dossiers_sql})"
    )
    dossier_sql = (
        "SELECT v.dossier_id, COUNT(*) AS due, COUNT(*) FILTER (WHERE v.state = %s) AS done"
        ", MIN(v.dossier_version) FILTER (WHERE v.state = %s) AS oldest_version"
        + "".join(f", AVG(v.{key}) AS {key}" for key in keys)
        + f", {_rounded('AVG(v.total)')} AS mean"
        + f", {_rounded('percentile_cont(0.5) WITHIN GROUP (ORDER BY v.total)')} AS median"
        + f", {_rounded('MAX(v.total) - MIN(v.total)')} AS spread"
        + f" FROM ({evaluations_sql}) v GROUP BY 1"
    )
    # DISTINCT ON tells PostgreSQL that a dossier has one row at most, so that a COUNT(*)
    # of the page that does not filter on the figures leaves this join out altogether.
    sql = (
        "SELECT DISTINCT ON (r.dossier_id) r.*"
        ", COALESCE(r.spread > %s, false) AS spread_flagged"
        ", CASE WHEN r.weighted IS NULL THEN NULL"
        " ELSE RANK() OVER (ORDER BY r.weighted DESC NULLS LAST) END AS rank"
        f" FROM (SELECT g.*, {_rounded(_weighted_mean_sql('g', grid))} AS weighted"
        f" FROM ({dossier_sql}) g) r"
        " ORDER BY r.dossier_id"
    )
    submitted = AbstractEvaluation.State.SUBMITTED
    threshold = float(jury.spread_threshold)
    stage_param = stage.pk if stage is not None else jury.pk
    params = [threshold, submitted, submitted, submitted, jury.pk, stage_param, *dossiers_params]
    return sql, params


def jury_ranking(
    domain: JuryDomain,
    jury: Jury,
    *,
    criteria: list[Criterion] | None = None,
    fields: tuple[str, ...] = ("pk",),
    stage: JuryStage | None = None,
) -> QuerySet:
    """The jury's dossiers with their figures (see above), best weighted score first, ties
    by pk: `.values()` rows with `fields` of the dossier, `rank`, `due`, `done`,
    `crit_<pk>` for each criterion, `weighted`, `mean`, `median`, `spread`,
    `spread_flagged`, `shortlisted_at` (from the dossier's review at that stage, if any)
    and `earlier_version` (a submitted evaluation was made on an earlier version of the
    dossier). All at one stage: the first unless `stage` says otherwise, with that stage's
    dossiers (`stages.stage_dossiers`), evaluations and grid.

    One query whatever the number of rows; a count (for a paginator) does not compute the
    figures unless it filters on them. Pass `criteria` when the page already has them."""
    if criteria is None:
        criteria = list(Criterion.objects.filter(stage=stage_ref(jury, stage)).order_by("position"))
    dossiers = domain.dossiers(jury) if stage is None else stage_dossiers(domain, stage)
    dossiers = dossiers.select_related(None).prefetch_related(None).order_by()
    sql, params = _ranking_sql(domain, jury, criteria, dossiers, stage)
    review = domain.review_model._meta.get_field(domain.dossier_field).related_query_name()
    queryset = dossiers.annotate(
        stage_review=FilteredRelation(
            review, condition=Q(**{f"{review}__stage": stage_ref(jury, stage)})
        )
    )
    query = queryset.query
    alias = query.join(
        _DerivedTable(
            sql,
            params,
            parent_alias=query.get_initial_alias(),
            parent_pk=dossiers.model._meta.pk.column,
            table_name="jury_ranking",
        )
    )

    def column(name, output_field):
        return _DerivedColumn(alias, name, output_field)

    figures = {
        "rank": column("rank", IntegerField()),
        "due": Coalesce(column("due", IntegerField()), Value(0)),
        "done": Coalesce(column("done", IntegerField()), Value(0)),
        **{
            key: column(key, FloatField())
            for key in (ranking_criterion_key(criterion) for criterion in criteria)
        },
        **{name: column(name, FloatField()) for name in RANKING_SCORES},
        "spread_flagged": Coalesce(column("spread_flagged", BooleanField()), Value(False)),
        "shortlisted_at": F("stage_review__shortlisted_at"),
        # A submitted evaluation was made on an earlier version of the dossier.
        "earlier_version": Coalesce(
            LessThan(column("oldest_version", IntegerField()), F(domain.dossier_version_field)),
            Value(False),
        )
        if domain.dossier_version_field
        else Value(False),
    }
    return (
        queryset.annotate(**figures)
        .values(*fields, *figures)
        .order_by(F("weighted").desc(nulls_last=True), "pk")
    )


def jury_dossier(domain: JuryDomain, jury: Jury, pk: int):
    """One dossier of the jury, or 404."""
    dossier = domain.dossiers(jury).prefetch_related(None).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    return dossier


def jury_dossier_evaluations(domain: JuryDomain, jury: Jury, dossier) -> list:
    """Every evaluation of one dossier in the jury, for staff: the juror, the scores with
    their criterion, the history (`.history`) with who did what. Three queries whatever
    their number."""
    return history_attach(
        domain.evaluations(jury)
        .filter(**{domain.dossier_field: dossier})
        .select_related("member__user")
        .prefetch_related(evaluation_scores_prefetch(domain))
        .order_by("member__user__last_name", "member__user__first_name", "pk")
    )


def jury_ranking_fingerprint(domain: JuryDomain, jury: Jury, criteria) -> str:
    """A string that changes whenever a figure of the jury's ranking can change, so that the
    rendered ranking can be cached (computing it reads every score of the jury).

    Scores change only through `evaluation_save` / `evaluation_reopen`, which bump the
    evaluation's `updated_at`; assignments add or delete evaluations (count); dossiers and
    reviews move their own timestamps and counts. Weights and the spread threshold come from
    the rows already loaded. Not covered: renaming an administration, which shows once the
    cache expires.
    """
    evaluations = domain.evaluations(jury).aggregate(n=Count("pk"), last=Max("updated_at"))
    dossiers = domain.dossiers(jury).order_by().aggregate(n=Count("pk"), last=Max("updated_at"))
    reviews = domain.review_model.objects.filter(jury=jury).aggregate(
        n=Count("shortlisted_at"), last=Max("shortlisted_at")
    )
    grid = [(criterion.pk, str(criterion.weight)) for criterion in criteria]
    parts = [evaluations, dossiers, reviews, grid, str(jury.spread_threshold)]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
