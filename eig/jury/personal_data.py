"""A juror's part of the personal-data export, for every domain: registered by the jury app
as the "jury" section (`eig.accounts.personal_data`)."""

from django.db.models import Prefetch

from eig.jury.models import JuryMember
from eig.jury.registry import domain_for, domains


def jury_personal_data(user) -> list[dict]:
    """Each jury the person sits on, the conflicts they declared, and their own evaluations
    with scores and comments. A few queries per domain they are a juror of."""
    memberships = list(JuryMember.objects.filter(user=user).select_related("jury"))
    keys = {member.jury.domain for member in memberships}
    evaluations, conflicts = {}, {}
    for domain in domains():
        if domain.key not in keys:
            continue
        field = domain.dossier_field
        for evaluation in (
            domain.evaluation_model.objects.filter(member__in=memberships)
            .select_related(field)
            .prefetch_related(
                Prefetch("scores", queryset=domain.score_model.objects.select_related("criterion"))
            )
            .order_by("pk")
        ):
            evaluations.setdefault(evaluation.member_id, []).append(evaluation)
        for conflict in domain.conflict_model.objects.filter(member__in=memberships).select_related(
            field
        ):
            conflicts.setdefault(conflict.member_id, []).append(conflict)
    return [_membership(member, evaluations, conflicts) for member in memberships]


def _membership(member, evaluations: dict, conflicts: dict) -> dict:
    # The juror's own export names the dossiers they read as they read them.
    domain = domain_for(member.jury)
    return {
        "jury": str(member.jury),
        "expertise": member.expertise_labels,
        "retire_le": member.withdrawn_at.isoformat() if member.withdrawn_at else None,
        "conflits_declares": [
            {
                "dossier": domain.label_for_juror(domain.dossier_of(conflict), member.jury),
                "motif": conflict.reason,
                "le": conflict.declared_at.isoformat(),
            }
            for conflict in conflicts.get(member.pk, [])
        ],
        "evaluations": [
            {
                "dossier": domain.label_for_juror(domain.dossier_of(evaluation), member.jury),
                "etat": evaluation.get_state_display(),
                "appreciation_generale": evaluation.overall_comment,
                "notes": [
                    {"critere": s.criterion.name, "note": s.value, "commentaire": s.comment}
                    for s in evaluation.scores.all()
                ],
            }
            for evaluation in evaluations.get(member.pk, [])
        ],
    }
