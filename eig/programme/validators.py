from django.core.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret


def siret_checksum_ok(siret: str) -> bool:
    """The SIRET's own Luhn key and its SIREN's, with La Poste's exception (its
    establishments share one SIREN and are checked by the sum of their digits), as
    python-stdnum implements INSEE's rules."""
    return len(siret) == 14 and siret.isdigit() and stdnum_siret.is_valid(siret)


def normalize_siret(value: str) -> str:
    return "".join(value.split())


def validate_siret(value: str) -> None:
    siret = normalize_siret(value)
    if len(siret) != 14 or not siret.isdigit():
        raise ValidationError(
            "Le SIRET compte 14 chiffres (espaces acceptés), par exemple 130 025 265 00013.",
            code="siret_format",
        )
    if not siret_checksum_ok(siret):
        raise ValidationError(
            "Ce SIRET n'existe pas : sa clé de contrôle est fausse. Vérifiez-le sur "
            "l'annuaire des entreprises.",
            code="siret_checksum",
        )


def validate_budget_programme(value: str) -> None:
    if not (value.isdigit() and 1 <= len(value) <= 4):
        raise ValidationError(
            "Le numéro de programme budgétaire (LOLF) compte 3 ou 4 chiffres, par exemple 129.",
            code="budget_programme_format",
        )
