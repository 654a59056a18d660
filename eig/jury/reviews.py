"""What the jury decides about one dossier after scoring lives on the domain's review row
(`AbstractReview`); the dossier's own state follows through `domain.dossier_transition`,
which writes its history. The review's own steps are in the one history too
(`ReviewAction`).

The rules, from the jury guide of promotion 4 (2020): a pre-selection team shortlists
dossiers for a hearing and raises questions, sent to the dossier's recipients with its
convocation (`shortlist.py`); hearing groups of a few jurors hear two or three dossiers
each, then give each one an overall opinion (favourable or not), a rank within the group,
possibly a « coup de cœur », and a short justification (`hearings.py`); the deliberation
then decides: selected, waiting list, not selected (`decisions.py`).

This module holds what those three share: the review row, locked, and its guards. Like
`services.py`, every function takes the `JuryDomain` of its dossiers. A dossier has one
review per stage of the jury (`stages.py`): shortlisting, slots and opinions work on the
first stage's unless a `stage` is given; the decision on the last stage's.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from eig.exceptions import DomainError, InvalidTransition
from eig.jury.domain import JuryDomain
from eig.jury.models import Jury, JuryStage
from eig.jury.stages import stage_resolve


def local_time(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def dossier_ensure_in_jury(domain: JuryDomain, jury: Jury, dossier) -> None:
    if not domain.dossiers(jury).filter(pk=dossier.pk).exists():
        raise DomainError("Ce dossier n'est pas soumis à ce jury.", code="dossier")


def review_lock(
    domain: JuryDomain,
    jury: Jury,
    dossier,
    *,
    create: bool = True,
    stage: JuryStage | None = None,
):
    """The dossier's review row at `stage` (the jury's first by default), locked; created
    empty when `create` and missing."""
    stage = stage_resolve(jury, stage)
    queryset = domain.review_model.objects.filter(stage=stage, **{domain.dossier_field: dossier})
    if create and not queryset.exists():
        try:
            with transaction.atomic():
                domain.review_model.objects.create(
                    jury=jury, stage=stage, **{domain.dossier_field: dossier}
                )
        except IntegrityError:
            pass  # created meanwhile by another request: lock theirs
    review = (
        queryset.select_for_update(of=("self",))
        .select_related("slot__group", domain.dossier_field)
        .first()
    )
    if review is None:
        raise InvalidTransition("Ce dossier n'est pas présélectionné.", code="not_shortlisted")
    return review


def review_ensure_undecided(review) -> None:
    if review.decision:
        raise InvalidTransition(
            f"La décision est prise pour ce dossier ({review.get_decision_display()}) : "
            "la présélection et les auditions ne peuvent plus changer.",
            code="decided",
        )


def ensure_length(value: str, limit: int, label: str) -> None:
    if len(value) > limit:
        raise DomainError(
            f"{label} : {limit} caractères au plus ({len(value)} saisis).", code="too_long"
        )
