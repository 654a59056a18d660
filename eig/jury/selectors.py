"""Reads of the jury engine, shaped once for their pages."""

from django.db.models import Count, Prefetch, Q, QuerySet

from eig.jury.domain import ConflictMap, JuryDomain
from eig.jury.models import Jury, JuryMember


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


def jury_progress(domain: JuryDomain, jury: Jury) -> dict:
    """Counts for the staff summary: evaluations due, submitted, drafts, not started."""
    counts = domain.evaluations(jury).aggregate(
        due=Count("pk"),
        submitted=Count("pk", filter=Q(state="submitted")),
        draft=Count("pk", filter=Q(state="draft")),
        pending=Count("pk", filter=Q(state="pending")),
    )
    counts["percent"] = round(100 * counts["submitted"] / counts["due"]) if counts["due"] else 0
    return counts


def jury_member_loads(domain: JuryDomain, jury: Jury) -> QuerySet[JuryMember]:
    """The pool with each member's load and progress, for the assignment page."""
    evaluations = f"{domain.evaluation_model._meta.model_name}s"
    return (
        jury.members.select_related("user__administration")
        .annotate(
            load=Count(evaluations, distinct=True),
            submitted=Count(evaluations, filter=Q(**{f"{evaluations}__state": "submitted"})),
        )
        .order_by("withdrawn_at", "user__last_name", "user__first_name", "pk")
    )


def evaluation_scores_prefetch(domain: JuryDomain) -> Prefetch:
    return Prefetch("scores", queryset=domain.score_model.objects.select_related("criterion"))
