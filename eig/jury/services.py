"""Writes of the jury engine: conflicts, assignment, scoring.

Every function takes the `JuryDomain` of the dossiers it works on, so that every kind
of dossier shares this code. Pre-selection, hearings and deliberation are in `shortlist.py`,
`hearings.py` and `decisions.py` (`reviews.py` holds what they share).
"""

import datetime

from django.db import connection, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from eig.exceptions import DeadlinePassed, DomainError, IncompleteDossier, InvalidTransition
from eig.history.services import record, record_many
from eig.jury.assignment import AssignmentProblem, AssignmentResult, assignment_solve
from eig.jury.domain import JuryDomain
from eig.jury.models import (
    AbstractEvaluation,
    Criterion,
    DossierAggregate,
    EvaluationAction,
    Jury,
    JuryMember,
    JuryStage,
    MemberAction,
)
from eig.jury.rules import ensure_jury_staff
from eig.jury.selectors import (
    dossier_figures_sql,
    jury_aggregates_stale,
    jury_conflicts,
    jury_grid_signature,
    jury_members_active,
    member_conflict_reason,
    ranking_criterion_key,
)
from eig.jury.stages import jury_stages, stage_criteria, stage_dossiers, stage_resolve
from eig.notifications.services import email_queue, reminder_send_once
from eig.permissions import ensure_perm

State = AbstractEvaluation.State


class StaleEvaluation(DomainError):
    """The evaluation changed since the form was read (another tab, or staff reopened it)."""

    def __init__(self):
        super().__init__(
            "Cette évaluation a été modifiée entre-temps, dans un autre onglet ou par l'équipe "
            "du programme. Rien n'a été enregistré : vos saisies sont ci-dessous, comparez-les "
            "à la version enregistrée puis enregistrez à nouveau.",
            code="stale",
        )


# The first key of the advisory lock taken while a jury's aggregates are rewritten.
_AGGREGATES_LOCK = 0x4A555259  # "JURY"


def jury_aggregates_refresh(
    *,
    domain: JuryDomain,
    jury: Jury | int,
    dossier_ids=None,
    member_ids=(),
    stage: JuryStage | int | None = None,
) -> None:
    """Rewrite the stored figures (`DossierAggregate`) of the jury's dossiers from their
    scores, at one stage (`stage`, a stage or its pk) or at every stage of the jury when
    `stage` is None: of `dossier_ids`, and of every dossier that one of `member_ids`
    submitted an evaluation of (a juror's change moves their mean and deviation, so the
    normalised score of each of their dossiers); of every dossier when `dossier_ids` is
    None.

    Called, in their transaction, by every service that creates, deletes, submits or
    reopens an evaluation, or changes the grid. A transaction-level advisory lock per
    jury makes concurrent refreshes run one after the other, each reading what the
    previous one committed, so that a slower one never writes older figures last."""
    jury_id = jury if isinstance(jury, int) else jury.pk
    jury = Jury.objects.get(pk=jury_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_AGGREGATES_LOCK, jury_id])
    if stage is None:
        stages = jury_stages(jury)
    else:
        stage_id = stage if isinstance(stage, int) else stage.pk
        stages = [JuryStage.objects.get(pk=stage_id, jury=jury)]
    for one in stages:
        one.jury = jury
        _stage_aggregates_refresh(
            domain=domain, jury=jury, stage=one, dossier_ids=dossier_ids, member_ids=member_ids
        )


def _stage_aggregates_refresh(
    *, domain: JuryDomain, jury: Jury, stage: JuryStage, dossier_ids, member_ids
) -> None:
    aggregates = DossierAggregate.objects.filter(stage=stage)
    criteria = stage_criteria(stage)
    only = None
    # Rows of another grid are all rewritten: a stage's rows always share one grid.
    if dossier_ids is not None and not jury_aggregates_stale(jury, criteria, stage=stage):
        only = set(dossier_ids)
        if member_ids:
            only |= set(
                domain.evaluation_model.objects.filter(
                    member_id__in=member_ids, stage=stage, state=State.SUBMITTED
                ).values_list(domain.dossier_id_field, flat=True)
            )
        if not only:
            return
        aggregates = aggregates.filter(dossier_id__in=only)
    aggregates.delete()
    dossiers = stage_dossiers(domain, stage).select_related(None).prefetch_related(None).order_by()
    figures_sql, params = dossier_figures_sql(
        domain, jury, criteria, dossiers, only=only, stage=stage
    )
    meta = DossierAggregate._meta
    # The criteria's means in the grid's order (`stage_criteria`), as the pages read them.
    criteria_means = (
        "ARRAY[" + ", ".join(f"f.{ranking_criterion_key(c)}" for c in criteria) + "]::float8[]"
        if criteria
        else "'{}'::float8[]"
    )
    names = ("due", "done", "oldest_version", "weighted", "mean", "median")
    names += ("overall_min", "overall_max", "spread", "normalised")
    columns = ["jury", "stage", "dossier_id", *names, "criteria", "grid", "updated_at"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(meta.db_table)}"
            f" ({', '.join(connection.ops.quote_name(meta.get_field(c).column) for c in columns)})"
            f" SELECT %s, %s, f.dossier_id, {', '.join(f'f.{name}' for name in names)},"
            f" {criteria_means}, %s, %s FROM ({figures_sql}) f",
            [jury.pk, stage.pk, jury_grid_signature(criteria), timezone.now(), *params],
        )
    _stage_ranks_refresh(stage)


def _stage_ranks_refresh(stage: JuryStage) -> None:
    """Rank the stage's stored rows again, by weighted and by normalised score (the
    definitions of `selectors.py`): one dossier's new figures move the ranks of others.
    Only the rows whose rank changed are written."""
    meta = DossierAggregate._meta
    table = connection.ops.quote_name(meta.db_table)

    def col(name):
        return connection.ops.quote_name(meta.get_field(name).column)

    def ranked(score):
        return (
            f"CASE WHEN {col(score)} IS NULL THEN NULL"
            f" ELSE RANK() OVER (ORDER BY {col(score)} DESC NULLS LAST) END"
        )

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} a SET {col('rank')} = r.rank,"
            f" {col('normalised_rank')} = r.normalised_rank"
            f" FROM (SELECT {col('id')} AS id, {ranked('weighted')} AS rank,"
            f" {ranked('normalised')} AS normalised_rank FROM {table}"
            f" WHERE {col('stage')} = %s) r"
            f" WHERE a.{col('id')} = r.id AND (a.{col('rank')} IS DISTINCT FROM r.rank"
            f" OR a.{col('normalised_rank')} IS DISTINCT FROM r.normalised_rank)",
            [stage.pk],
        )


@transaction.atomic
def jury_aggregates_rebuild(*, domain: JuryDomain, jury: Jury) -> None:
    """Rewrite every stored figure of the jury, at every stage, from its scores: for
    safety (data written around the services, a bulk import), and after a grid changes."""
    jury_aggregates_refresh(domain=domain, jury=jury)


def _lock_jury(jury: Jury) -> Jury:
    # Assignment reads every evaluation of the jury and writes new ones: one run at a time.
    return Jury.objects.select_for_update().get(pk=jury.pk)


@transaction.atomic
def conflict_declare(*, domain: JuryDomain, member: JuryMember, dossier, reason: str = ""):
    """Record that `member` may not evaluate `dossier`, on the member's own word: the
    declaration is theirs (its history names them), so the rule `jury.declare_conflict` is
    asked of their account, which must still be active and sit on the jury.

    Side effect: the member's evaluation of that dossier, if any, is deleted with its draft
    scores (they must not count); staff complete the assignment again to give the dossier
    another juror. Refused on a submitted evaluation: a juror must not be able to withdraw
    scores they regret; staff reopen it first if the conflict is real.
    """
    ensure_perm(
        member.user,
        "jury.declare_conflict",
        member,
        message="Seul un juré qui siège encore dans ce jury y déclare un conflit d'intérêts.",
        code="not_member",
    )
    submitted = domain.evaluation_model.objects.filter(
        member=member, state=State.SUBMITTED, **{domain.dossier_field: dossier}
    )
    if submitted.exists():
        raise InvalidTransition(
            "Votre évaluation de ce dossier est déjà soumise : signalez le conflit à l'équipe "
            "du programme, qui pourra la rouvrir puis la retirer.",
            code="submitted",
        )
    conflict, _created = domain.conflict_model.objects.get_or_create(
        member=member, **{domain.dossier_field: dossier}, defaults={"reason": reason[:300]}
    )
    # Through the one unassignment: the draft's scores are protected from a cascade, and the
    # history keeps who had the dossier and why it was taken back.
    _evaluations_unassign(
        domain,
        domain.evaluation_model.objects.select_for_update().filter(
            member=member, **{domain.dossier_field: dossier}
        ),
        actor=member.user,
        at=timezone.now(),
        note="Conflit d'intérêts déclaré",
    )
    jury_aggregates_refresh(domain=domain, jury=member.jury_id, dossier_ids=[dossier.pk])
    return conflict


def _evaluation_create(
    *,
    domain: JuryDomain,
    member: JuryMember,
    dossier_id: int,
    actor,
    manual: bool,
    now,
    stage: JuryStage,
):
    return domain.evaluation_model(
        member=member,
        stage=stage,
        manual=manual,
        assigned_at=now,
        **{domain.dossier_id_field: dossier_id},
    )


@transaction.atomic
def jury_assign(
    *,
    domain: JuryDomain,
    jury: Jury,
    actor,
    rebalance: bool = False,
    now=None,
    stage: JuryStage | None = None,
) -> AssignmentResult:
    """Give every dossier of one stage of the jury (the first unless `stage` says
    otherwise; see `stages.stage_dossiers`) its `jurors_per_dossier` jurors (min-cost flow,
    see `assignment.py`), never a conflicted one, loads balanced within the stage,
    expertise matched where it costs no balance.

    Evaluations already started, and those staff set by hand, are kept. The others are kept
    too unless `rebalance` is set, in which case they are redistributed. Evaluations of a
    member who left or who now has a conflict are deleted when nothing was submitted.
    Side effects: new evaluation rows with an "assigned" history event each; no mail (staff
    review the result, then `jury_notify_jurors`). Refused to an `actor` who is not staff.
    """
    ensure_jury_staff(actor, "affecter les dossiers aux jurés")
    now = now or timezone.now()
    jury = _lock_jury(jury)
    stage = stage_resolve(jury, stage)
    members = list(jury_members_active(jury))
    members_by_pk = {member.pk: member for member in members}
    dossiers = list(stage_dossiers(domain, stage))
    dossier_ids = {dossier.pk for dossier in dossiers}
    conflicts = jury_conflicts(domain, jury, members=members, dossiers=dossiers)

    fixed, dropped = set(), []
    for evaluation in domain.evaluations(jury, stage=stage):
        pair = (getattr(evaluation, domain.dossier_id_field), evaluation.member_id)
        keep = evaluation.has_scores or evaluation.manual or not rebalance
        usable = pair[1] in members_by_pk and pair[0] in dossier_ids and pair not in conflicts
        if evaluation.state == State.SUBMITTED and pair[0] not in dossier_ids:
            # A dossier that left the jury (withdrawn while the call was open) keeps its
            # submitted scores, outside the assignment.
            continue
        if evaluation.state == State.SUBMITTED or (keep and usable):
            fixed.add(pair)
        else:
            dropped.append(evaluation.pk)
    _evaluations_unassign(
        domain,
        domain.evaluation_model.objects.filter(pk__in=dropped),
        actor=actor,
        at=now,
        note="Réaffectation automatique",
    )

    result = assignment_solve(
        AssignmentProblem(
            dossiers=[dossier.pk for dossier in dossiers],
            jurors=[member.pk for member in members],
            k=jury.jurors_per_dossier,
            forbidden=frozenset(conflicts),
            fixed=frozenset(pair for pair in fixed if pair[1] in members_by_pk),
            expertise=frozenset(domain.expertise_pairs(members, dossiers)),
            demand=_demand(jury.jurors_per_dossier, fixed, members_by_pk),
        )
    )
    created = domain.evaluation_model.objects.bulk_create(
        _evaluation_create(
            domain=domain,
            member=members_by_pk[member_id],
            dossier_id=dossier_id,
            actor=actor,
            manual=False,
            now=now,
            stage=stage,
        )
        for dossier_id, member_id in sorted(result.new_pairs)
    )
    record_many(
        created,
        action=EvaluationAction.ASSIGNED,
        actor=actor,
        at=now,
        note="Affectation automatique",
    )
    jury_aggregates_refresh(domain=domain, jury=jury, stage=stage)
    return result


def _evaluations_unassign(domain: JuryDomain, evaluations, *, actor, at, note: str) -> None:
    """Delete unsubmitted evaluations, each leaving an "unassigned" event: the history
    outlives them, so staff still see who had the dossier and who took it back. A draft's
    scores (a juror who leaves the jury) go with it, explicitly since scores are protected
    from cascades; the event keeps them (criterion id -> value, comment)."""
    evaluations = list(evaluations)
    if not evaluations:
        return
    ids = [evaluation.pk for evaluation in evaluations]
    scores = domain.score_model.objects.filter(evaluation_id__in=ids)
    drafts = {}
    for evaluation_id, criterion_id, value, comment in scores.values_list(
        "evaluation_id", "criterion_id", "value", "comment"
    ):
        drafts.setdefault(evaluation_id, {})[str(criterion_id)] = [value, comment]
    unscored = [evaluation for evaluation in evaluations if evaluation.pk not in drafts]
    record_many(unscored, action=EvaluationAction.UNASSIGNED, actor=actor, at=at, note=note)
    for evaluation in evaluations:
        if evaluation.pk in drafts:
            record(
                evaluation,
                action=EvaluationAction.UNASSIGNED,
                actor=actor,
                from_state=evaluation.state,
                at=at,
                note=note,
                data={"draft_scores": drafts[evaluation.pk]},
            )
    scores.delete()
    domain.evaluation_model.objects.filter(pk__in=ids).delete()


def _demand(k: int, fixed: set, members_by_pk: dict) -> dict[int, int]:
    """Jurors each dossier needs among the active ones: k, less the submitted evaluations of
    jurors who left (they still count)."""
    demand = {}
    for dossier_id, member_id in fixed:
        if member_id not in members_by_pk:
            demand[dossier_id] = demand.get(dossier_id, k) - 1
    return demand


@transaction.atomic
def evaluation_assign(
    *,
    domain: JuryDomain,
    member: JuryMember,
    dossier,
    actor,
    now=None,
    stage: JuryStage | None = None,
):
    """Staff give one dossier to one juror by hand, at one stage (the first unless `stage`
    says otherwise). Refused to an `actor` who is not staff, and for a conflicted juror, a
    juror who left, a dossier the stage does not examine, or a pair that already exists at
    that stage."""
    ensure_jury_staff(actor, "confier un dossier à un juré")
    now = now or timezone.now()
    if not member.is_active:
        raise DomainError(f"{member} s'est retiré du jury.", code="withdrawn")
    stage = stage_resolve(member.jury, stage)
    if dossier not in stage_dossiers(domain, stage):
        if dossier in domain.dossiers(member.jury):
            raise DomainError(
                f"Ce dossier n'a pas été retenu à l'étape précédant « {stage.name} ».",
                code="dossier",
            )
        raise DomainError("Ce dossier n'est pas soumis à ce jury.", code="dossier")
    reason = member_conflict_reason(domain, member, dossier)
    if reason:
        raise DomainError(f"{member} est en conflit d'intérêts avec ce dossier ({reason}).")
    if domain.evaluation_model.objects.filter(
        member=member, stage=stage, **{domain.dossier_field: dossier}
    ).exists():
        raise DomainError(f"{member} évalue déjà ce dossier.", code="duplicate")
    evaluation = _evaluation_create(
        domain=domain,
        member=member,
        dossier_id=dossier.pk,
        actor=actor,
        manual=True,
        now=now,
        stage=stage,
    )
    evaluation.save()
    record(
        evaluation,
        action=EvaluationAction.ASSIGNED,
        actor=actor,
        to_state=evaluation.state,
        at=now,
        note="Affectation à la main",
    )
    jury_aggregates_refresh(
        domain=domain, jury=member.jury_id, dossier_ids=[dossier.pk], stage=stage
    )
    return evaluation


@transaction.atomic
def evaluation_unassign(*, domain: JuryDomain, evaluation, actor=None, now=None) -> None:
    """Staff take a dossier back from a juror; refused to an `actor` who is not staff, and
    once the juror has scored it. Side effect: an "unassigned" event, kept after the
    evaluation is deleted."""
    ensure_jury_staff(actor, "retirer un dossier à un juré")
    evaluation = domain.evaluation_model.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.has_scores:
        raise InvalidTransition(
            "Ce juré a déjà commencé l'évaluation : elle ne peut plus lui être retirée.",
            code="started",
        )
    _evaluations_unassign(
        domain, [evaluation], actor=actor, at=now or timezone.now(), note="Retrait à la main"
    )
    jury_aggregates_refresh(
        domain=domain,
        jury=evaluation.member.jury_id,
        dossier_ids=[getattr(evaluation, domain.dossier_id_field)],
        stage=evaluation.stage_id,
    )


@transaction.atomic
def member_withdraw(*, domain: JuryDomain, member: JuryMember, actor, now=None) -> AssignmentResult:
    """A juror leaves the jury: their unfinished evaluations are deleted, submitted ones still
    count, and their dossiers go to the other jurors.

    Side effects: a "withdrawn" event on the member, an "unassigned" one on each evaluation
    taken back; the re-assignment of `jury_assign` (new jurors are mailed by staff with
    `jury_notify_jurors`). Refused to an `actor` who is not staff."""
    ensure_jury_staff(actor, "retirer un juré du jury")
    now = now or timezone.now()
    member = JuryMember.objects.select_for_update().get(pk=member.pk)
    if member.withdrawn_at:
        raise InvalidTransition(f"{member} s'est déjà retiré du jury.", code="withdrawn")
    member.withdrawn_at = now
    member.save(update_fields=["withdrawn_at"])
    record(member, action=MemberAction.WITHDRAWN, actor=actor, at=now)
    unfinished = list(
        domain.evaluation_model.objects.filter(member=member).exclude(state=State.SUBMITTED)
    )
    _evaluations_unassign(domain, unfinished, actor=actor, at=now, note="Retrait du juré")
    # The first stage is re-assigned as always; a later one only if the juror left it work.
    jury = member.jury
    later = sorted(
        {evaluation.stage_id for evaluation in unfinished} - {stage_resolve(jury, None).pk}
    )
    for stage in JuryStage.objects.filter(pk__in=later).order_by("position"):
        jury_assign(domain=domain, jury=jury, actor=actor, now=now, stage=stage)
    return jury_assign(domain=domain, jury=jury, actor=actor, now=now)


@transaction.atomic
def jury_notify_jurors(*, domain: JuryDomain, jury: Jury, now=None) -> int:
    """Mail each active juror who has assignments they were not told about their full list.
    Returns the number of jurors mailed; running it twice mails nobody twice."""
    now = now or timezone.now()
    fresh = (
        domain.evaluations(jury)
        .select_for_update()
        .filter(notified_at__isnull=True, member__withdrawn_at__isnull=True)
    )
    member_ids = set(fresh.values_list("member_id", flat=True))
    mailed = 0
    for member in jury.members.filter(pk__in=member_ids).select_related("user"):
        dossiers = [
            getattr(evaluation, domain.dossier_field)
            for evaluation in domain.evaluation_model.objects.filter(member=member)
            .select_related(domain.dossier_field)
            .order_by("pk")
        ]
        email_queue(
            to=[member.user.email],
            template="jury_assignments",
            context={
                "member": member,
                "jury": jury,
                # Lines, not dossiers: the mail names each one as the juror may know it.
                "dossiers": [_juror_line(domain, dossier, jury) for dossier in dossiers],
                "dashboard_url": domain.dashboard_url(),
            },
        )
        mailed += 1
    fresh.update(notified_at=now)
    return mailed


def _juror_line(domain: JuryDomain, dossier, jury: Jury) -> str:
    """A dossier as a juror's mail lists it: its label, with who carries it unless the jury
    is anonymous."""
    label = domain.label_for_juror(dossier, jury)
    holder = domain.holder_for_juror(dossier, jury)
    return f"{label} ({holder})" if holder else label


def _criteria(stage: JuryStage) -> list[Criterion]:
    return stage_criteria(stage)


@transaction.atomic
def evaluation_save(
    *,
    domain: JuryDomain,
    evaluation,
    actor,
    version: int,
    scores: dict[int, tuple[int | None, str]],
    overall_comment: str,
    submit: bool = False,
    now: datetime.datetime | None = None,
):
    """Save a juror's scores as a draft, or submit them.

    `version` is the one the form was read at: if the evaluation changed since, nothing is
    written and `StaleEvaluation` says so, so that no score is overwritten silently.
    `scores` maps criterion pk to (value or None, comment), against the grid of the
    evaluation's stage: a value given on another grid's criterion is refused. Submitting
    needs every criterion of that grid scored; the stage's deadline, if it has one,
    overrides the jury's. Refused to anyone but its juror, who must still sit on the jury
    and have no conflict with the dossier (`jury.evaluate_evaluation`).
    Side effect on submit: a "submitted" history event.
    """
    now = now or timezone.now()
    evaluation = (
        domain.evaluation_model.objects.select_for_update(of=("self",))
        .select_related("member__jury", "stage__jury")
        .get(pk=evaluation.pk)
    )
    stage = evaluation.stage
    _ensure_evaluation_juror(domain, evaluation, actor)
    if not stage.is_scoring_open(now):
        raise DeadlinePassed(
            "La date limite des évaluations est passée : elles ne peuvent plus être modifiées.",
            code="deadline",
        )
    if evaluation.state == State.SUBMITTED:
        raise InvalidTransition(
            "Cette évaluation est soumise. Pour la modifier, demandez à l'équipe du programme "
            "de la rouvrir.",
            code="submitted",
        )
    if version != evaluation.version:
        raise StaleEvaluation()

    criteria = _criteria(stage)
    grid = {criterion.pk for criterion in criteria}
    if any(pk not in grid and value is not None for pk, (value, _c) in scores.items()):
        raise DomainError(
            f"Ces notes ne suivent pas la grille de l'étape « {stage.name} ».", code="grid"
        )
    missing = []
    for criterion in criteria:
        value, _comment = scores.get(criterion.pk, (None, ""))
        if value is not None and not criterion.scale_min <= value <= criterion.scale_max:
            raise DomainError(
                f"La note de « {criterion.name} » doit être comprise entre "
                f"{criterion.scale_min} et {criterion.scale_max}.",
                code="range",
            )
        if value is None:
            missing.append(criterion.name)
    if submit and missing:
        raise IncompleteDossier(
            "Notez chaque critère avant de soumettre. Votre brouillon n'est pas enregistré.",
            missing=missing,
        )

    existing = {score.criterion_id: score for score in evaluation.scores.all()}
    to_create, to_update = [], []
    for criterion in criteria:
        value, comment = scores.get(criterion.pk, (None, ""))
        score = existing.get(criterion.pk)
        if score is None:
            to_create.append(
                domain.score_model(
                    evaluation=evaluation, criterion=criterion, value=value, comment=comment
                )
            )
        elif (score.value, score.comment) != (value, comment):
            score.value, score.comment = value, comment
            to_update.append(score)
    domain.score_model.objects.bulk_create(to_create)
    domain.score_model.objects.bulk_update(to_update, ["value", "comment"])

    evaluation.overall_comment = overall_comment
    evaluation.version += 1
    previous_state = evaluation.state
    evaluation.state = State.SUBMITTED if submit else State.DRAFT
    fields = ["overall_comment", "version", "state", "updated_at"]
    current = domain.dossier_current_version(evaluation)
    if current is not None:
        # Saved with the dossier as it reads now: the juror has it on screen.
        evaluation.dossier_version = current
        fields.append("dossier_version")
    if submit:
        evaluation.submitted_at = now
        fields.append("submitted_at")
        record(
            evaluation,
            action=EvaluationAction.SUBMITTED,
            actor=actor,
            from_state=previous_state,
            to_state=State.SUBMITTED,
            at=now,
            data={"dossier_version": evaluation.dossier_version}
            if evaluation.dossier_version is not None
            else None,
        )
    evaluation.save(update_fields=fields)
    if submit:
        _evaluation_aggregates_refresh(domain, evaluation)
    return evaluation


def _ensure_evaluation_juror(domain: JuryDomain, evaluation, actor) -> None:
    """Refuse unless `actor` may score `evaluation` (`jury.evaluate_evaluation`: it is given
    to them, they still sit on the jury, and have no conflict with its dossier)."""

    def refusal() -> str:
        member = evaluation.member
        if member.user_id == actor.pk and member.is_active:
            reason = member_conflict_reason(domain, member, domain.dossier_of(evaluation))
            if reason:
                return (
                    f"Vous êtes en conflit d'intérêts avec ce dossier ({reason}) : "
                    "vous ne l'évaluez pas."
                )
        return "Cette évaluation n'est pas la vôtre."

    ensure_perm(actor, "jury.evaluate_evaluation", evaluation, message=refusal, code="forbidden")


def _evaluation_aggregates_refresh(domain: JuryDomain, evaluation) -> None:
    # The dossier's figures, and the normalised score of the juror's other dossiers.
    jury_aggregates_refresh(
        domain=domain,
        jury=evaluation.member.jury_id,
        dossier_ids=[getattr(evaluation, domain.dossier_id_field)],
        member_ids=[evaluation.member_id],
        stage=evaluation.stage_id,
    )


def _evaluation_back_to_draft(domain: JuryDomain, evaluation, *, action, actor, at, note):
    """Submitted → draft, scores kept; the new `version` makes any tab still open on the
    submitted form stale."""
    evaluation.state = State.DRAFT
    evaluation.submitted_at = None
    evaluation.version += 1
    evaluation.save(update_fields=["state", "submitted_at", "version", "updated_at"])
    record(
        evaluation,
        action=action,
        actor=actor,
        from_state=State.SUBMITTED,
        to_state=State.DRAFT,
        at=at,
        note=note,
    )
    _evaluation_aggregates_refresh(domain, evaluation)


@transaction.atomic
def evaluation_reopen(*, domain: JuryDomain, evaluation, actor, note: str = "", now=None):
    """Staff give a submitted evaluation back to its juror. Refused to an `actor` who is not
    staff.

    Side effects: a "reopened" history event with the reason, and a mail to the juror."""
    ensure_jury_staff(actor, "rouvrir une évaluation soumise")
    now = now or timezone.now()
    evaluation = (
        domain.evaluation_model.objects.select_for_update(of=("self",))
        .select_related("member__user", "member__jury")
        .get(pk=evaluation.pk)
    )
    if evaluation.state != State.SUBMITTED:
        raise InvalidTransition("Seule une évaluation soumise peut être rouverte.", code="state")
    _evaluation_back_to_draft(
        domain,
        evaluation,
        action=EvaluationAction.REOPENED,
        actor=actor,
        at=now,
        note=note[:300],
    )
    email_queue(
        to=[evaluation.member.user.email],
        template="jury_evaluation_reopened",
        context={
            "evaluation": evaluation,
            # The juror's name for the dossier: an anonymous jury's mails never identify it.
            "dossier_label": domain.label_for_juror(
                getattr(evaluation, domain.dossier_field), evaluation.member.jury
            ),
            "jury": evaluation.member.jury,
            "note": note,
            "dashboard_url": domain.dashboard_url(),
        },
    )
    return evaluation


@transaction.atomic
def evaluation_update_for_new_version(*, domain: JuryDomain, evaluation, actor, now=None):
    """The juror takes back their submitted evaluation because the dossier was submitted
    again with changes since: it returns to draft, scores kept, for them to update and
    submit again.

    The juror may do so themselves (no need to ask staff, unlike `evaluation_reopen`): the
    change came from the dossier, not from second thoughts, and until they act their
    submitted scores still count, flagged. Refused on an evaluation made on the current
    version, after the scoring deadline, or for anyone but its juror without conflict
    (`jury.evaluate_evaluation`). Side effect: a "reopened by the juror" history event."""
    now = now or timezone.now()
    evaluation = (
        domain.evaluation_model.objects.select_for_update(of=("self",))
        .select_related("member__jury", "stage__jury")
        .get(pk=evaluation.pk)
    )
    _ensure_evaluation_juror(domain, evaluation, actor)
    if not evaluation.stage.is_scoring_open(now):
        raise DeadlinePassed(
            "La date limite des évaluations est passée : elles ne peuvent plus être modifiées.",
            code="deadline",
        )
    if evaluation.state != State.SUBMITTED:
        raise InvalidTransition("Cette évaluation n'est pas soumise.", code="state")
    current = domain.dossier_current_version(evaluation)
    if (
        current is None
        or evaluation.dossier_version is None
        or (evaluation.dossier_version >= current)
    ):
        raise InvalidTransition(
            "Votre évaluation porte sur la version actuelle du dossier. Pour la modifier, "
            "demandez à l'équipe du programme de la rouvrir.",
            code="current",
        )
    _evaluation_back_to_draft(
        domain,
        evaluation,
        action=EvaluationAction.JUROR_REOPENED,
        actor=actor,
        at=now,
        note=f"Version {evaluation.dossier_version} évaluée, version {current} déposée",
    )
    return evaluation


# Days before the scoring deadline at which jurors with unfinished evaluations are reminded.
SCORING_REMINDER_DAYS = (3, 1)


def jury_send_scoring_reminders(*, domain: JuryDomain, now=None) -> int:
    """Remind each juror who still has evaluations to submit, 3 days and 1 day before the
    deadline of their stage (its own, else the jury's). Each reminder (kind, jury, juror,
    deadline) is sent once, whatever the number of ticks or retries. Returns the number of
    mails sent."""
    now = now or timezone.now()
    sent = 0
    horizon = now + datetime.timedelta(days=max(SCORING_REMINDER_DAYS))
    stages = (
        JuryStage.objects.filter(jury__domain=domain.key)
        .annotate(due=Coalesce("scoring_deadline", "jury__scoring_deadline"))
        .filter(due__gt=now, due__lte=horizon)
        .select_related("jury")
        .order_by("jury_id", "position")
    )
    for stage in stages:
        jury = stage.jury
        days_left = (stage.due - now) / datetime.timedelta(days=1)
        # The latest threshold passed: J-1 once inside the last day, J-3 before that.
        threshold = min(day for day in SCORING_REMINDER_DAYS if days_left <= day)
        unfinished = (
            domain.evaluations(jury, stage=stage)
            .exclude(state=State.SUBMITTED)
            .filter(member__withdrawn_at__isnull=True)
            .select_related("member__user")
        )
        by_member = {}
        for evaluation in unfinished:
            by_member.setdefault(evaluation.member, []).append(evaluation)
        for member, evaluations in by_member.items():
            sent += reminder_send_once(
                kind=f"jury_scoring_j{threshold}",
                obj=jury,
                recipient=member.user,
                due_on=timezone.localdate(stage.due),
                template="jury_scoring_reminder",
                context={
                    "jury": jury,
                    "count": len(evaluations),
                    "dashboard_url": domain.dashboard_url(),
                },
            )
    return sent
