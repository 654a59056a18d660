import re

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


# Addresses anyone can open: listing one of them as an administration's domain would let
# the whole internet join it at once.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "free.fr",
        "gmail.com",
        "gmx.fr",
        "hotmail.com",
        "hotmail.fr",
        "icloud.com",
        "laposte.net",
        "live.fr",
        "mail.com",
        "orange.fr",
        "outlook.com",
        "outlook.fr",
        "proton.me",
        "protonmail.com",
        "sfr.fr",
        "wanadoo.fr",
        "yahoo.com",
        "yahoo.fr",
    }
)
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_email_domain(value: str) -> str:
    return value.strip().lower().removeprefix("@").rstrip(".")


def validate_email_domain(value: str) -> None:
    """A domain of work addresses (`culture.gouv.fr`): at least two labels, no public
    webmail."""
    domain = normalize_email_domain(value)
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(x) for x in labels):
        raise ValidationError(
            f"« {value} » n'est pas un domaine d'adresses e-mail (par exemple culture.gouv.fr).",
            code="email_domain_format",
        )
    if domain in PUBLIC_MAIL_DOMAINS:
        raise ValidationError(
            f"« {domain} » est une messagerie ouverte à tous : n'importe qui pourrait "
            "rejoindre l'administration.",
            code="email_domain_public",
        )
