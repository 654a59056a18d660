"""The real criteria grids of the programme's selections of promotions 3 to 7.

`presets.json` is taken from the programme's calls for projects (each grid names its
source), and, for the juries of applications (`"domains"`), from its calls for candidates
(`criteria.json`'s `candidate_selection`: promotions 4 to 7, pre-selection and interview
grids). Only the 2020 jury guide states a scale (1 « pas du tout satisfaisant » to 4
« excellent »); the other grids use it too, with equal weights as the 2022 call says.
Staff adjust weights and scales in the admin after applying a preset.
"""

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import transaction
from django.db.models import ProtectedError

from eig.exceptions import DomainError
from eig.jury.models import Criterion, DossierAggregate, Jury, JuryStage
from eig.jury.registry import domain_for
from eig.jury.services import jury_aggregates_rebuild
from eig.jury.stages import stage_resolve

PRESETS_FILE = Path(__file__).with_name("presets.json")


@cache
def presets() -> dict[str, dict]:
    return json.loads(PRESETS_FILE.read_text(encoding="utf-8"))


def preset_fits(preset: dict, domain_key: str | None) -> bool:
    """Whether a jury of the domain may take the preset: a preset naming its `domains` (the
    candidates' grids) fits only theirs; the others fit every domain."""
    return domain_key is None or domain_key in preset.get("domains", (domain_key,))


def preset_choices(domain_key: str | None = None) -> list[tuple[str, str]]:
    """The presets a jury of the domain may take (all of them without a domain)."""
    return [
        (key, preset["title"])
        for key, preset in presets().items()
        if preset_fits(preset, domain_key)
    ]


@transaction.atomic
def jury_apply_preset(*, jury: Jury, key: str, stage: JuryStage | None = None) -> list[Criterion]:
    """Replace the grid of one stage of the jury (the first unless `stage` says otherwise)
    by a preset. Refused once a juror has scored against it: the scores would lose their
    meaning."""
    if key not in presets():
        raise DomainError(f"Grille inconnue : {key}.", code="preset")
    jury = Jury.objects.select_for_update().get(pk=jury.pk)
    if not preset_fits(presets()[key], jury.domain):
        raise DomainError(
            f"La grille « {presets()[key]['title']} » n'est pas faite pour les dossiers de ce "
            "jury.",
            code="preset_domain",
        )
    stage = stage_resolve(jury, stage)
    try:
        # Scores protect their criterion, whatever the domain that holds them.
        stage.criteria.all().delete()
    except ProtectedError:
        raise DomainError(
            "Des jurés ont déjà noté avec la grille actuelle : elle ne peut plus être remplacée.",
            code="scored",
        ) from None
    criteria = Criterion.objects.bulk_create(
        Criterion(
            jury=jury,
            stage=stage,
            position=position,
            name=item["name"],
            description=item["description"],
            weight=Decimal(item["weight"]),
            scale_min=item["scale_min"],
            scale_max=item["scale_max"],
            scale_labels=item["scale_labels"],
        )
        for position, item in enumerate(presets()[key]["criteria"], start=1)
    )
    jury.preset = key
    jury.save(update_fields=["preset"])
    # The stored figures name the criteria: those of the new grid.
    if DossierAggregate.objects.filter(jury=jury).exists():
        jury_aggregates_rebuild(domain=domain_for(jury), jury=jury)
    return criteria
