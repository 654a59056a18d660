"""Reads of the jury engine, shaped once for their pages."""

import hashlib

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least
from django.db.models.lookups import LessThan
from django.db.models.sql.constants import INNER, LOUTER
from django.http import Http404
from django.utils import timezone

from eig.history.selectors import history_attach
from eig.jury.domain import ConflictMap, JuryDomain
from eig.jury.models import (
    AbstractEvaluation,
    Criterion,
    DossierAggregate,
    HearingSlot,
    Jury,
    JuryMember,
    JuryStage,
)
from eig.jury.stages import stage_dossiers, stage_ref


def jury_members_active(jury: Jury) -> QuerySet[JuryMember]:
    return (
        jury.members.filter(withdrawn_at__isnull=True)
        .select_related("user__administration__parent")
        .order_by("pk")
    )


def jury_members_listed(domain: JuryDomain, jury: Jury) -> QuerySet[JuryMember]:
    """The active members with only what lists of jurors print (their names) and what the
    domain's automatic conflict rule reads (`member_fields`): a member's account and its
    administrations hold ~40 columns, and 60 jurors' instances cost more than their query."""
    members = jury_members_active(jury)
    if not domain.member_fields:
        return members
    return members.only(
        "jury",
        "expertise",
        "withdrawn_at",
        "added_at",
        "user__first_name",
        "user__last_name",
        "user__email",
        *domain.member_fields,
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
) -> list[JuryMember]:
    """The pool with each member's load and progress at one stage (the first by default),
    for the assignment page: `.load` and `.submitted` on each member. Two queries: the
    members, then the stage's evaluations counted per member. (Counting through a join of
    the members to every evaluation grouped the jury's thousands of rows by member, user
    and administration: six times slower at 2,000 dossiers.)"""
    members = list(
        jury.members.select_related("user__administration").order_by(
            "withdrawn_at", "user__last_name", "user__first_name", "pk"
        )
    )
    counts = {
        row["member_id"]: row
        for row in domain.evaluations(jury)
        .filter(stage=stage_ref(jury, stage))
        .order_by()
        .values("member_id")
        .annotate(load=Count("pk"), submitted=Count("pk", filter=Q(state="submitted")))
    }
    for member in members:
        row = counts.get(member.pk, {})
        member.load, member.submitted = row.get("load", 0), row.get("submitted", 0)
    return members


def evaluation_scores_prefetch(domain: JuryDomain) -> Prefetch:
    return Prefetch("scores", queryset=domain.score_model.objects.select_related("criterion"))


# --- Ranking (staff: eig/jury/views/ranking.py) ------------------------------------------
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
#   overall_min, overall_max
#               the lowest and highest of those overall scores;
#   normalised  the mean of the dossier's z-scores, a z-score being a juror's overall score
#               standardised over that juror's submitted evaluations in the jury
#               ((score − juror's mean) / juror's population standard deviation): a harsh
#               or a lenient juror weighs as much as any other in the order. A juror with a
#               single submitted evaluation, or whose overall scores are all equal, gives
#               0 (no preference between their dossiers);
#   spread_flagged  spread > jury.spread_threshold;
#   rank        RANK() by weighted among the jury's dossiers, best first, ties sharing a
#               rank; none for a dossier no juror has submitted yet;
#   normalised_rank  the same, by normalised.
# The services store these figures per dossier (`DossierAggregate`, see
# `services.jury_aggregates_refresh`), ranks included (each refresh ranks its stage again);
# the pages read them from there.
# As long as every submitted evaluation scores every criterion (evaluation_save requires
# it), mean equals weighted; they part only if the grid changed after some submissions.
# Every value is NULL for a dossier without a submitted evaluation (due and done are 0).

RANKING_SCORES = ("weighted", "normalised", "mean", "median", "spread")
# Every float figure of a row: the scores, and the lowest and highest overall score.
RANKING_FIGURES = (*RANKING_SCORES, "overall_min", "overall_max")


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

    @property
    def convert_value(self):
        # psycopg already gives float8 as float and integers as int: no float()/int() per
        # cell (an export reads 2,000 rows of a dozen figures).
        return self._convert_value_noop

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


def _column(meta, name):
    return connection.ops.quote_name(meta.get_field(name).column)


def _stage_sql(jury: Jury, stage: JuryStage | None) -> tuple[str, list]:
    """The stage a figure query reads: the one given, or the jury's first stage read inside
    the query (no query of its own)."""
    if stage is not None:
        return "%s", [stage.pk]
    table = connection.ops.quote_name(JuryStage._meta.db_table)
    return (
        f"(SELECT s.id FROM {table} s WHERE s.jury_id = %s ORDER BY s.position LIMIT 1)",
        [jury.pk],
    )


def dossier_figures_sql(
    domain: JuryDomain,
    jury: Jury,
    criteria: list[Criterion],
    dossiers,
    *,
    only=None,
    stage: JuryStage | None = None,
):
    """The per-dossier figures computed from the scores of one stage (the first unless
    `stage` says otherwise), one row per dossier that has evaluations at that stage:
    `dossier_id`, `due`, `done`, `oldest_version`, `crit_<pk>` per criterion, `mean`,
    `median`, `spread`, `overall_min`, `overall_max`, `weighted`, `normalised`.

    Built from the innermost level out: an evaluation's scores side by side, the evaluation
    with its overall score (`v`), each juror's mean and standard deviation over their
    submitted evaluations at the stage (`j`), the dossier's evaluations grouped (`g`), then
    the jury's weighted score. `only` (dossier pks) restricts the rows, not the jurors'
    statistics, which always cover the whole stage. Criterion ids and weights are written
    in the SQL as numbers (coerced with int() and float()); everything else is a
    parameter. Returns (sql, params)."""
    qn = connection.ops.quote_name
    evaluation = domain.evaluation_model._meta
    score = domain.score_model._meta
    member = JuryMember._meta
    column = _column

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
    stage_sql, stage_params = _stage_sql(jury, stage)
    # `total`, a juror's overall score, is NULL unless the evaluation is submitted.
    evaluations_sql = (
        f"SELECT e.{dossier_column} AS dossier_id, e.{column(evaluation, 'state')} AS state"
        + f", e.{column(evaluation, 'member')} AS member_id"
        + f", e.{column(evaluation, 'dossier_version')} AS dossier_version"
        + "".join(f", t.{key}" for key in keys)
        + f", {_weighted_mean_sql('t', grid)} AS total"
        + f" FROM {qn(evaluation.db_table)} e"
        + f" LEFT JOIN ({scores_sql}) t ON t.evaluation_id = e.{column(evaluation, 'id')}"
        + f" AND e.{column(evaluation, 'state')} = %s"
        + f" WHERE e.{column(evaluation, 'member')} IN"
        + f" (SELECT {column(member, 'id')} FROM {qn(member.db_table)}"
        + f" WHERE {column(member, 'jury')} = %s)"
        + f" AND e.{column(evaluation, 'stage')} = {stage_sql}"
        + f" AND e.{dossier_column} IN ({dossiers_sql})"
    )
    # A juror's z-score: how far this overall score stands from their own mean, in their own
    # standard deviations. A juror with a single submitted evaluation, or who gave the same
    # overall score to all (deviation below 1e-9, float noise), expresses no preference
    # between their dossiers: their evaluations count as 0, the juror's average.
    zscore = (
        "CASE WHEN v.total IS NULL THEN NULL"
        " WHEN j.n > 1 AND j.sd > 1e-9 THEN (v.total - j.mu) / j.sd ELSE 0::float8 END"
    )
    dossier_sql = (
        "SELECT v.dossier_id, COUNT(*) AS due, COUNT(*) FILTER (WHERE v.state = %s) AS done"
        ", MIN(v.dossier_version) FILTER (WHERE v.state = %s) AS oldest_version"
        + "".join(f", AVG(v.{key}) AS {key}" for key in keys)
        + f", {_rounded('AVG(v.total)')} AS mean"
        + f", {_rounded('percentile_cont(0.5) WITHIN GROUP (ORDER BY v.total)')} AS median"
        + f", {_rounded('MAX(v.total) - MIN(v.total)')} AS spread"
        + f", {_rounded('MIN(v.total)')} AS overall_min"
        + f", {_rounded('MAX(v.total)')} AS overall_max"
        + f", {_rounded(f'AVG({zscore})')} AS normalised"
        + " FROM v LEFT JOIN j ON j.member_id = v.member_id"
        + (" WHERE v.dossier_id = ANY(%s)" if only is not None else "")
        + " GROUP BY 1"
    )
    sql = (
        f"WITH v AS ({evaluations_sql}),"
        " j AS (SELECT member_id, AVG(total) AS mu, stddev_pop(total) AS sd,"
        " COUNT(total) AS n FROM v WHERE total IS NOT NULL GROUP BY 1),"
        f" g AS ({dossier_sql})"
        f" SELECT g.*, {_rounded(_weighted_mean_sql('g', grid))} AS weighted FROM g"
    )
    submitted = AbstractEvaluation.State.SUBMITTED
    params = [submitted, jury.pk, *stage_params, *dossiers_params, submitted, submitted]
    if only is not None:
        params.append(list(only))
    return sql, params


def _stored_figures_sql(jury: Jury, criteria: list[Criterion], stage):
    """The rows of `_ranking_sql`, read from `DossierAggregate` at one stage (the first
    unless `stage` says otherwise), ranks included. A plain select on one table, which
    PostgreSQL folds into the page's query: the page's dossiers are joined to their rows
    by the unique (stage, dossier) index, and nothing is sorted but the page itself. The
    stored rows are those of the stage's dossiers at the last refresh; the page's own
    queryset decides which dossiers are shown."""
    meta = DossierAggregate._meta
    stage_sql, stage_params = _stage_sql(jury, stage)
    # The means are stored in the grid's order; rows of another grid are never read here.
    crit = "".join(
        f", a.{_column(meta, 'criteria')}[{index}] AS {ranking_criterion_key(criterion)}"
        for index, criterion in enumerate(criteria, start=1)
    )
    after = ("mean", "median", "spread", "overall_min", "overall_max", "normalised", "weighted")
    sql = (
        f"SELECT a.{_column(meta, 'dossier_id')} AS dossier_id"
        + "".join(f", a.{_column(meta, name)} AS {name}" for name in ("due", "done"))
        + f", a.{_column(meta, 'oldest_version')} AS oldest_version"
        + crit
        + "".join(f", a.{_column(meta, name)} AS {name}" for name in after)
        + f", COALESCE(a.{_column(meta, 'spread')} > %s, false) AS spread_flagged"
        + "".join(f", a.{_column(meta, name)} AS {name}" for name in ("rank", "normalised_rank"))
        + f" FROM {connection.ops.quote_name(meta.db_table)} a"
        + f" WHERE a.{_column(meta, 'stage')} = {stage_sql}"
    )
    return sql, [float(jury.spread_threshold), *stage_params]


def jury_grid_signature(criteria: list[Criterion]) -> str:
    """What the stored figures depend on in the grid: its criteria and their weights."""
    grid = [(criterion.pk, str(criterion.weight)) for criterion in criteria]
    return hashlib.sha256(repr(grid).encode()).hexdigest()[:32]


def jury_aggregates_stale(
    jury: Jury, criteria: list[Criterion], stage: JuryStage | None = None
) -> bool:
    """Whether some stored figure of one stage of the jury (the first unless `stage` says
    otherwise) was computed with another grid (a weight changed, a criterion was added,
    outside the admin that rebuilds them)."""
    return (
        DossierAggregate.objects.filter(jury=jury, stage=stage_ref(jury, stage))
        .exclude(grid=jury_grid_signature(criteria))
        .exists()
    )


def _ranking_sql(domain: JuryDomain, jury: Jury, criteria, dossiers, *, computed: bool, stage):
    """The figures of the stage's dossiers, one row per dossier, with `spread_flagged`,
    `rank` and `normalised_rank`: read from the stored rows, or computed from the scores
    when `computed` (the reference the stored rows are checked against, and the fallback
    while they were computed with another grid)."""
    if not computed:
        return _stored_figures_sql(jury, criteria, stage)
    source, params = dossier_figures_sql(domain, jury, criteria, dossiers, stage=stage)
    # DISTINCT ON tells PostgreSQL that a dossier has one row at most, so that a COUNT(*)
    # of the page that does not filter on the figures leaves this join out altogether.
    sql = (
        "SELECT DISTINCT ON (r.dossier_id) r.*"
        ", COALESCE(r.spread > %s, false) AS spread_flagged"
        ", CASE WHEN r.weighted IS NULL THEN NULL"
        " ELSE RANK() OVER (ORDER BY r.weighted DESC NULLS LAST) END AS rank"
        ", CASE WHEN r.normalised IS NULL THEN NULL"
        " ELSE RANK() OVER (ORDER BY r.normalised DESC NULLS LAST) END AS normalised_rank"
        f" FROM ({source}) r"
        " ORDER BY r.dossier_id"
    )
    return sql, [float(jury.spread_threshold), *params]


def jury_ranking(
    domain: JuryDomain,
    jury: Jury,
    *,
    criteria: list[Criterion] | None = None,
    fields: tuple[str, ...] = ("pk",),
    computed: bool = False,
    stage: JuryStage | None = None,
) -> QuerySet:
    """The jury's dossiers with their figures (see above), best weighted score first, ties
    by pk: `.values()` rows with `fields` of the dossier, `rank`, `normalised_rank`, `due`,
    `done`, `crit_<pk>` for each criterion, `weighted`, `normalised`, `mean`, `median`,
    `spread`, `overall_min`, `overall_max`, `spread_flagged`, `shortlisted_at` (from the
    dossier's review at that stage, if any) and `earlier_version` (a submitted evaluation
    was made on an earlier version of the dossier). All at one stage: the first unless
    `stage` says otherwise, with that stage's dossiers (`stages.stage_dossiers`),
    evaluations, grid and stored figures.

    The figures are read from `DossierAggregate`, which the services keep up to date;
    `computed=True` computes them from the scores instead (the reference the stored ones
    are checked against), as does a jury whose stored figures were computed with another
    grid. Two queries whatever the number of rows (the check of the stored rows' grid,
    then the rows); a count (for a paginator) does not read the figures unless it filters
    on them. Pass `criteria` when the page already has them."""
    if criteria is None:
        criteria = list(Criterion.objects.filter(stage=stage_ref(jury, stage)).order_by("position"))
    dossiers = domain.dossiers(jury) if stage is None else stage_dossiers(domain, stage)
    dossiers = dossiers.select_related(None).prefetch_related(None).order_by()
    # Stored rows of another grid (a weight changed outside the admin, which rebuilds
    # them): the figures are computed from the scores, slower but right.
    computed = computed or jury_aggregates_stale(jury, criteria, stage)
    sql, params = _ranking_sql(domain, jury, criteria, dossiers, computed=computed, stage=stage)
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
        "normalised_rank": column("normalised_rank", IntegerField()),
        "due": Coalesce(column("due", IntegerField()), Value(0)),
        "done": Coalesce(column("done", IntegerField()), Value(0)),
        **{
            key: column(key, FloatField())
            for key in (ranking_criterion_key(criterion) for criterion in criteria)
        },
        **{name: column(name, FloatField()) for name in RANKING_FIGURES},
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


# --- Slots: occupancy for staff, bookable slots for a dossier's owners ----------------------


def _slot_booked(domain: JuryDomain) -> Expression:
    """How many dossiers of `domain` hold the slot, counted in SQL."""
    held = (
        domain.review_model.objects.filter(slot=OuterRef("pk"))
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), 0)


def slot_occupancy(domain: JuryDomain, jury: Jury) -> QuerySet[HearingSlot]:
    """The jury's slots by time, with their group, each with `booked` (the dossiers it
    holds) and `free` (places left): a page shows « booked / capacity » in one query."""
    return (
        HearingSlot.objects.filter(jury=jury)
        .select_related("group")
        .annotate(booked=_slot_booked(domain))
        .annotate(free=F("capacity") - F("booked"))
        .order_by("starts_at", "group__name", "pk")
    )


def slot_list_bookable(domain: JuryDomain, jury: Jury, dossier, *, now=None):
    """What the dossier's owners see to book: the jury's slots open to owners that have not
    started, are before their booking deadline and outside the domain's notice
    (`booking_notice` before their start), and have a free place, plus the one the dossier
    holds (`is_mine`) whatever its state. Each slot carries `booked`, `free`, `is_mine`,
    `is_open` (owners may still book, move or cancel there) and `closes_at` (until when);
    one query."""
    now = now or timezone.now()
    mine = domain.review_model.objects.filter(
        slot=OuterRef("pk"), jury=jury, **{domain.dossier_field: dossier}
    )
    notice = domain.booking_notice
    if notice:
        # PostgreSQL's LEAST skips a NULL deadline.
        closes_at = Least(F("booking_deadline"), F("starts_at") - Value(notice))
    else:
        closes_at = Coalesce(F("booking_deadline"), F("starts_at"))
    return (
        slot_occupancy(domain, jury)
        .filter(booking=HearingSlot.Booking.OWNER)
        .annotate(closes_at=ExpressionWrapper(closes_at, output_field=DateTimeField()))
        .annotate(
            is_mine=Exists(mine),
            is_open=ExpressionWrapper(
                Q(starts_at__gt=now, closes_at__gt=now), output_field=BooleanField()
            ),
        )
        .filter((Q(starts_at__gt=now, closes_at__gt=now) & Q(free__gt=0)) | Q(is_mine=True))
    )
