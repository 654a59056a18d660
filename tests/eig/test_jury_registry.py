import dataclasses

import pytest

from eig.jury.domain import DossierNouns
from eig.jury.registry import domain_choices, domain_for, get_domain, register
from projects.jury import DEFI_JURY
from tests.factories import JuryFactory


def test_the_defi_domain_is_registered_and_found_from_a_jury(db):
    assert get_domain("defis") is DEFI_JURY
    assert domain_for(JuryFactory(domain="defis")) is DEFI_JURY
    assert ("defis", "Défis") in domain_choices()


def test_a_second_domain_cannot_take_a_key_already_registered():
    with pytest.raises(ValueError, match="already registered"):
        register(dataclasses.replace(DEFI_JURY))
    register(DEFI_JURY)  # registering the same object again is harmless


def test_an_unknown_key_is_a_lookup_error():
    with pytest.raises(LookupError):
        get_domain("inconnu")


@pytest.mark.parametrize(
    "nouns, a, the, this, none",
    [
        (DossierNouns("défi", "défis"), "un défi", "le défi", "ce défi", "aucun défi"),
        (
            DossierNouns("candidature", "candidatures", feminine=True),
            "une candidature",
            "la candidature",
            "cette candidature",
            "aucune candidature",
        ),
        (
            DossierNouns("entretien", "entretiens"),
            "un entretien",
            "l'entretien",
            "cet entretien",
            "aucun entretien",
        ),
    ],
)
def test_nouns_agree_in_gender_and_elide(nouns, a, the, this, none):
    assert (nouns.a, nouns.the, nouns.this, nouns.none) == (a, the, this, none)


def test_an_anonymous_domain_names_dossiers_by_number_for_jurors():
    anonymous = dataclasses.replace(DEFI_JURY, key="anonymes", anonymous=True)

    class Dossier:
        pk = 42
        title = "Nom qui identifie"

    assert anonymous.label_for_juror(Dossier()) == "Dossier n° 00042"
    assert DEFI_JURY.label_for_juror(Dossier()) == "Nom qui identifie"


def test_the_test_only_domain_is_registered_beside_the_defis(db):
    from tests.jury_domain.jury import ENTRY_JURY

    assert get_domain("entries") is ENTRY_JURY
    assert domain_for(JuryFactory(domain="entries")) is ENTRY_JURY
    assert ("entries", "Candidatures") in domain_choices()
    assert ENTRY_JURY.nouns.the == "la candidature"


def test_the_test_only_domain_has_its_migrations(db):
    # `manage.py makemigrations --check` runs on eig.settings, which does not install it.
    from django.core.management import call_command

    call_command("makemigrations", "jury_testdomain", check=True, dry_run=True, verbosity=0)
