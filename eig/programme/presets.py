"""The real funding rules of promotions 3 to 7, as presets staff apply to a promotion.

`funding_presets.json` is taken from the programme's rules and conventions (each preset
names its source). The contribution rates are not published: they are hypotheses that staff
adjust after applying a preset, and every simulation shows them in its formula.
"""

import datetime
import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import transaction

from eig.exceptions import DomainError
from eig.programme.models import ContractFrame, FundingRule, Promotion, SalaryBand

PRESETS_FILE = Path(__file__).with_name("funding_presets.json")


@cache
def _file() -> dict:
    return json.loads(PRESETS_FILE.read_text(encoding="utf-8"))


def funding_presets() -> dict[str, dict]:
    return _file()["presets"]


def funding_preset_choices() -> list[tuple[str, str]]:
    return [(key, preset["label"]) for key, preset in funding_presets().items()]


def _decimal(value):
    return None if value is None else Decimal(value)


def _date(value):
    return None if value is None else datetime.date.fromisoformat(value)


@transaction.atomic
def promotion_apply_funding_preset(*, promotion: Promotion, key: str) -> FundingRule:
    """Give `promotion` the salary grid, contract frame and co-financing rule of preset
    `key`, replacing what it had. Refused once a convention of the promotion exists: its
    amounts were computed under the current rules (an avenant goes through the convention)."""
    preset = funding_presets().get(key)
    if preset is None:
        raise DomainError(f"Règles inconnues : {key}.", code="preset")
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    # funding sits above eig: ask through the reverse relation rather than import it.
    if promotion.conventions.exists():
        raise DomainError(
            "Des conventions existent déjà pour cette promotion : modifiez ses règles une à "
            "une dans l'administration, et les conventions par avenant.",
            code="preset_after_conventions",
        )
    defaults = _file()["defaults"]
    rule = preset["rule"]
    funding_rule, _ = FundingRule.objects.update_or_create(
        promotion=promotion,
        defaults={
            "employee_rate": Decimal(defaults["employee_rate"]),
            "employer_rate": Decimal(defaults["employer_rate"]),
            "kind": rule["kind"],
            "share": _decimal(rule.get("share")),
            "months": _decimal(rule.get("months")),
            "flat_amount": _decimal(rule.get("flat_amount")),
            "convention_kind": rule["convention_kind"],
            "source_programme": rule.get("source_programme", ""),
            "payment_terms": rule.get("payment_terms", ""),
            "source": rule.get("source", ""),
        },
    )
    frame = preset["frame"]
    ContractFrame.objects.update_or_create(
        promotion=promotion,
        defaults={
            "kind": frame["kind"],
            "employer": frame["employer"],
            "duration_months": Decimal(frame["duration_months"]),
            "renewable": frame["renewable"],
            "allows_part_time": frame["allows_part_time"],
            "start_date": _date(frame["start_date"]),
            "end_date": _date(frame["end_date"]),
        },
    )
    # Défi positions point at bands: keep the rows whose threshold stays, so that their
    # hypotheses survive a re-application.
    bands = {band["min_years"]: band for band in preset["bands"]}
    promotion.salary_bands.exclude(min_years__in=bands).delete()
    for min_years, band in bands.items():
        SalaryBand.objects.update_or_create(
            promotion=promotion,
            min_years=min_years,
            defaults={
                "label": band["label"],
                "net_monthly": Decimal(band["net_monthly"]),
                "variable_rate": Decimal(band["variable_rate"]),
            },
        )
    return funding_rule
