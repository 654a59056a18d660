"""The stages of a jury: a written dossier, then an interview…

Each stage has its own criteria grid, and its own evaluations and reviews keyed by (stage,
dossier). Every engine service and selector takes an optional `stage=`; left out, it is the
jury's first stage (`jury_first_stage`), so that a jury of one stage — every jury written
before stages — reads and works as before. The final decision is taken on the review of the
last stage (`jury_last_stage`).

Which dossiers a stage examines is a rule of the engine, whatever the domain: the domain's
dossiers at the first stage, and those shortlisted at the stage before for the next ones.
"""

from django.db import transaction
from django.db.models import Exists, Max, Q, QuerySet, Subquery

from eig.exceptions import DomainError
from eig.jury.domain import JuryDomain
from eig.jury.models import Jury, JuryStage


def jury_first_stage(jury: Jury) -> JuryStage:
    """The jury's first stage (created if the jury has none yet)."""
    stage = JuryStage.objects.first_for(jury)
    stage.jury = jury
    return stage


def jury_last_stage(jury: Jury) -> JuryStage:
    stage = jury.stages.order_by("-position").first() or jury_first_stage(jury)
    stage.jury = jury
    return stage


def jury_stage_current(jury: Jury, now=None) -> JuryStage:
    """The stage the jury is at: the earliest whose scoring is still open, else the last."""
    stages = jury_stages(jury)
    return next((stage for stage in stages if stage.is_scoring_open(now)), stages[-1])


def jury_stages(jury: Jury) -> list[JuryStage]:
    """The jury's stages in order, with their jury (for their deadline)."""
    stages = list(jury.stages.order_by("position")) or [jury_first_stage(jury)]
    for stage in stages:
        stage.jury = jury
    return stages


def stage_ref(jury: Jury | int, stage: JuryStage | None = None):
    """What a query filters `stage` on: the stage given, or the jury's first stage as a
    subquery, so that reading "the first stage" costs no query of its own (the selectors'
    query counts stay what they were before stages)."""
    if stage is not None:
        return stage.pk
    jury_id = getattr(jury, "pk", jury)
    return Subquery(JuryStage.objects.filter(jury_id=jury_id).order_by("position").values("pk")[:1])


def stage_resolve(jury: Jury, stage: JuryStage | None) -> JuryStage:
    """`stage`, checked to be one of the jury's, or the jury's first stage when None."""
    if stage is None:
        return jury_first_stage(jury)
    stage_ensure_of_jury(stage, jury)
    stage.jury = jury
    return stage


def stage_ensure_of_jury(stage: JuryStage, jury: Jury | int) -> None:
    jury_id = getattr(jury, "pk", jury)
    if stage.jury_id != jury_id:
        raise DomainError("Cette étape appartient à un autre jury.", code="stage")


def stage_previous(stage: JuryStage) -> JuryStage | None:
    return (
        JuryStage.objects.filter(jury_id=stage.jury_id, position__lt=stage.position)
        .order_by("-position")
        .first()
    )


def stage_is_first(stage: JuryStage) -> bool:
    return not JuryStage.objects.filter(jury_id=stage.jury_id, position__lt=stage.position).exists()


def stage_dossiers(domain: JuryDomain, stage: JuryStage) -> QuerySet:
    """The dossiers a stage examines: the domain's dossiers of the jury at the first stage;
    at a later one, those of them shortlisted at the stage before. One queryset, the
    previous stage found inside it, so that a page or a count reads it in one query."""
    before = JuryStage.objects.filter(jury_id=stage.jury_id, position__lt=stage.position)
    previous = Subquery(before.order_by("-position").values("pk")[:1])
    kept = domain.review_model.objects.filter(stage=previous, shortlisted_at__isnull=False)
    return domain.dossiers(stage.jury).filter(
        ~Exists(before) | Q(pk__in=kept.values(domain.dossier_id_field))
    )


def stage_criteria(stage: JuryStage) -> list:
    return list(stage.criteria.order_by("position"))


@transaction.atomic
def jury_stage_add(
    *, jury: Jury, name: str, kind: str = JuryStage.Kind.INTERVIEW, scoring_deadline=None
) -> JuryStage:
    """Add a stage after the jury's last one (e.g. an « entretien » after the written
    dossier); staff then give it its own grid. No side effect beyond the row."""
    jury = Jury.objects.select_for_update().get(pk=jury.pk)
    if kind not in JuryStage.Kind.values:
        raise DomainError("Choisissez la nature de l'étape.", code="kind")
    jury_first_stage(jury)
    last = jury.stages.aggregate(last=Max("position"))["last"] or 0
    return JuryStage.objects.create(
        jury=jury,
        position=last + 1,
        name=name.strip()[:120],
        kind=kind,
        scoring_deadline=scoring_deadline,
    )
