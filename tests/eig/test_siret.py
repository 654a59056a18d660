import pytest
from django.core.exceptions import ValidationError

from eig.programme.validators import validate_budget_programme, validate_siret


@pytest.mark.parametrize(
    "siret",
    [
        "13002526500013",  # DINUM
        "130 025 265 00013",
        "11000201100044",  # Premier ministre, SGG
        "35600000000048",  # La Poste, siège: the Luhn key
        "35600000052135",  # La Poste establishment: sum of digits divisible by 5
    ],
)
def test_validate_siret_accepts_real_numbers(siret):
    validate_siret(siret)


@pytest.mark.parametrize(
    ("siret", "code"),
    [
        ("13002526500014", "siret_checksum"),
        ("1300252650001", "siret_format"),
        ("1300252650001A", "siret_format"),
        ("", "siret_format"),
    ],
)
def test_validate_siret_refuses_with_french_message(siret, code):
    with pytest.raises(ValidationError) as error:
        validate_siret(siret)
    assert error.value.code == code
    assert "SIRET" in error.value.messages[0]


@pytest.mark.parametrize(
    ("value", "valid"), [("129", True), ("0129", True), ("12a", False), ("12345", False)]
)
def test_validate_budget_programme(value, valid):
    if valid:
        validate_budget_programme(value)
    else:
        with pytest.raises(ValidationError):
            validate_budget_programme(value)


def test_validate_siret_checks_the_siren_key():
    # The SIRET's Luhn key holds, the SIREN's (732829321) does not: no such company.
    with pytest.raises(ValidationError) as error:
        validate_siret("73282932100007")
    assert error.value.code == "siret_checksum"
