import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from eig.history.selectors import history_latest
from eig.programme.models import Administration, Promotion, Specialty
from projects.management.commands.load_reference import default_reference_dir
from projects.models import Defi, DefiPosition, ProjectCall
from projects.reference import (
    IMPORT_NOTE,
    call_fields,
    clean_name,
    clean_town,
    clean_url,
    defi_fields,
    guess_kind,
    markdown_from_hugo,
    parse_budget_envelope,
    parse_date,
    parse_list,
    parse_paris_datetime,
    promotion_fields,
    specialties_from_profiles,
)
from tests.services import require

PARIS = ZoneInfo("Europe/Paris")
Kind = Administration.Kind


def _counts():
    return {
        "promotions": Promotion.objects.count(),
        "calls": ProjectCall.objects.count(),
        "administrations": Administration.objects.count(),
        "defis": Defi.objects.count(),
        "positions": DefiPosition.objects.count(),
        "transitions": history_latest(Defi).count(),
    }


@pytest.fixture
def reference_dir():
    folder = default_reference_dir()
    require(folder.is_dir(), f"données de référence absentes ({folder})")
    return folder


@pytest.fixture
def small_reference(tmp_path):
    """A tiny folder in the files' format, with the Python-literal strings of some exports."""
    files = {
        "promotions.json": [
            {
                "promotion": 4,
                "year": 2020,
                "label": "Promotion 4",
                "start": "2020-09-01",
                "nb_eig": 41,
                "nb_defis": 17,
                "calendar": [{"step": "AAP", "from": "2020-01-15", "until": "2020-02-28 17:00"}],
            },
        ],
        "administrations.json": [
            {"name": "Agence du test,", "towns": "['75013 Paris']", "websites": "[]"}
        ],
        "defis.json": [
            {
                "slug": "défi-test",
                "promotion": 4,
                "title": "Défi test",
                "administration": "Agence du test",
                "town": "Paris (75013)",
                "summary": "Un résumé.",
                "profiles": "['Design', 'Accompagnement', 'Juriste']",
                "themes": "['Santé', 'Données']",
                "body_markdown": "Texte.",
                "website": None,
                "source_code": "https://entrepreneur-interet-general/test",
            }
        ],
        "forms.json": {"defi_application_forms": []},
    }
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content), encoding="utf-8")
    return tmp_path


# Parsing helpers


def test_parse_list_reads_python_literal_strings():
    assert parse_list("['Développement', 'Data science']") == ["Développement", "Data science"]


def test_parse_list_reads_lists_pipes_and_blanks():
    assert parse_list(["Design", " "]) == ["Design"]
    assert parse_list("Développement|Design") == ["Développement", "Design"]
    assert parse_list(None) == []
    assert parse_list("") == []
    assert parse_list("[]") == []


def test_parse_list_never_evaluates_code():
    assert parse_list("[__import__('os').getcwd()]") == ["__import__('os').getcwd()"]


def test_specialties_from_profiles_maps_skips_unknown_and_caps_at_three():
    profiles = (
        "['Design', 'Accompagnement', 'Design', 'Juriste', 'Direction de l’impact', 'Géomatique']"
    )

    assert specialties_from_profiles(profiles) == [
        Specialty.DESIGN,
        Specialty.DIGITAL_LAW,
        Specialty.IMPACT,
    ]


def test_clean_town_drops_postal_codes():
    assert clean_town("75008 Paris") == "Paris"
    assert clean_town("Paris (75007)") == "Paris"
    assert clean_town("Bordeaux (33) | Champs-sur-Marne (77)") == "Bordeaux, Champs-sur-Marne"
    assert clean_town(None) == ""


def test_clean_name_strips_form_leftovers():
    assert clean_name("Direction interministérielle du numérique (DINUM),") == (
        "Direction interministérielle du numérique (DINUM)"
    )
    assert clean_name("Administration de rattachement :Ministère des Armées") == (
        "Ministère des Armées"
    )


def test_clean_url_keeps_valid_repairs_github_paths_and_drops_invalid():
    assert clean_url("https://data.afd.fr/urban.html") == "https://data.afd.fr/urban.html"
    assert clean_url("https://scossin/parcoursdesoins", code_host=True) == (
        "https://github.com/scossin/parcoursdesoins"
    )
    assert clean_url("https://scossin/parcoursdesoins") == ""
    assert clean_url("hhttp://www.exemple.fr") == ""
    assert clean_url(None) == ""


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Ministère de la Culture", Kind.MINISTRY),
        ("Direction interministérielle du numérique", Kind.MINISTRY),
        ("Secrétariat général des ministères sociaux", Kind.MINISTRY),
        ("Direction Régionale et Interdépartementale de l’Environnement", Kind.DECENTRALISED),
        ("Préfecture du Rhône", Kind.DECENTRALISED),
        ("Agence nationale de l’habitat (ANAH)", Kind.OPERATOR),
        ("Institut national de la statistique", Kind.OPERATOR),
        ("Conseil départemental de la Gironde", Kind.LOCAL_AUTHORITY),
        ("Ville de Lyon", Kind.LOCAL_AUTHORITY),
        ("CHU de Bordeaux", Kind.HEALTH),
        ("Assistance publique – Hôpitaux de Paris", Kind.HEALTH),
        ("Autorité de sûreté nucléaire", Kind.INDEPENDENT_AUTHORITY),
        ("Haute Autorité de Santé", Kind.INDEPENDENT_AUTHORITY),
        ("Cour des comptes", Kind.OTHER),
    ],
)
def test_guess_kind_follows_the_table(name, kind):
    assert guess_kind(name) == kind


def test_parse_date_needs_a_day():
    assert parse_date("2021-09-13 (EIG Link: 2021-08-23)") == datetime.date(2021, 9, 13)
    assert parse_date("janvier 2019") is None
    assert parse_date(None) is None


def test_parse_paris_datetime_uses_the_given_time_or_the_default():
    assert parse_paris_datetime("2020-02-28 17:00", default_time=datetime.time(23, 59)) == (
        datetime.datetime(2020, 2, 28, 17, 0, tzinfo=PARIS)
    )
    assert parse_paris_datetime("2020-01-15", default_time=datetime.time(0, 0)) == (
        datetime.datetime(2020, 1, 15, 0, 0, tzinfo=PARIS)
    )


def test_parse_budget_envelope_reads_euros_and_millions():
    assert parse_budget_envelope("PIA, enveloppe 2 500 000 €; 2 défis") == Decimal("2500000")
    assert parse_budget_envelope("programme 352 (loi de finances 2020), 1,5 M€") == Decimal(
        "1500000"
    )
    assert parse_budget_envelope("forfait de 20 000 € par EIG") is None


def test_promotion_fields_sets_only_dates_the_file_gives():
    fields = promotion_fields(
        {"promotion": "DIG", "year": 2019, "label": "DIG (Designers)", "start": "juin 2019"}
    )

    assert fields["code"] == "dig"
    assert fields["number"] is None
    assert fields["name"] == "DIG (Designers)"
    assert fields["mission_start"] is None
    assert fields["mission_end"] is None


def test_promotion_fields_reads_mission_period_and_facts():
    fields = promotion_fields(
        {
            "promotion": 6,
            "year": 2022,
            "start": "2022-09-12 (coachs EIG: 2022-08-23)",
            "nb_eig": 34,
            "nb_defis": 14,
            "salaire": "3 500 € / 4 000 € nets/mois",
            "calendar": [{"step": "Fin du programme d'accompagnement", "date": "2023-07-11"}],
        }
    )

    assert fields["name"] == "Promotion 6"
    assert fields["mission_start"] == datetime.date(2022, 9, 12)
    assert fields["mission_end"] == datetime.date(2023, 7, 11)
    assert "34 EIG sur 14 défis retenus." in fields["description"]
    assert "Rémunération : 3 500 € / 4 000 € nets/mois." in fields["description"]


def test_call_fields_uses_the_calendar():
    fields = call_fields(
        {
            "promotion": 5,
            "year": 2021,
            "calendar": [{"step": "AAP", "from": "2021-02-01", "until": "2021-04-07 23:59"}],
        }
    )

    assert fields["slug"] == "aap-eig-5"
    assert fields["title"] == "Appel à projets EIG 5"
    assert fields["opens_at"] == datetime.datetime(2021, 2, 1, tzinfo=PARIS)
    assert fields["closes_at"] == datetime.datetime(2021, 4, 7, 23, 59, tzinfo=PARIS)
    assert "reconstitu" not in fields["description"]


def test_call_fields_reconstructs_missing_dates_and_says_so():
    fields = call_fields({"promotion": 2, "year": 2018, "start": "mi-janvier 2018"})

    assert fields["closes_at"].year == 2017
    assert fields["opens_at"] < fields["closes_at"]
    assert "reconstituées" in fields["description"]


def test_call_fields_takes_the_form_deadline_when_the_calendar_has_none():
    fields = call_fields({"promotion": 3, "year": 2019}, deadline="2018-06-15 17:00")

    assert fields["closes_at"] == datetime.datetime(2018, 6, 15, 17, 0, tzinfo=PARIS)
    assert fields["opens_at"] == datetime.datetime(2018, 5, 4, tzinfo=PARIS)


def test_defi_fields_makes_an_ascii_slug_and_joins_themes():
    fields = defi_fields(
        {"slug": "écobalyse", "title": "Écobalyse", "themes": "['Environnement', 'Données']"}
    )

    assert fields["slug"] == "ecobalyse"
    assert fields["themes"] == "Environnement, Données"


# The command


@pytest.mark.django_db
def test_load_reference_loads_the_real_catalogue(reference_dir):
    call_command("load_reference", path=reference_dir)

    assert Promotion.objects.count() == 8
    assert set(Promotion.objects.values_list("code", flat=True)) == {
        "1", "2", "3", "4", "5", "6", "7", "dig",
    }  # fmt: skip
    assert ProjectCall.objects.count() == 8
    assert Defi.objects.count() == 131
    assert set(Defi.objects.values_list("state", flat=True)) == {Defi.State.SELECTED}
    assert Defi.objects.filter(call__promotion__code="7").count() == 31
    assert set(DefiPosition.objects.values_list("specialty", flat=True)) <= set(Specialty.values)
    assert not DefiPosition.objects.filter(rank__gt=3).exists()
    assert (
        history_latest(Defi)
        .filter(from_state="", to_state=Defi.State.SELECTED, note=IMPORT_NOTE, actor=None)
        .count()
        == 131
    )
    dinum = Administration.objects.get(name="Direction interministérielle du numérique")
    assert dinum.kind == Kind.MINISTRY
    assert dinum.siret == ""


@pytest.mark.django_db
def test_load_reference_twice_changes_nothing(reference_dir, capsys):
    call_command("load_reference", path=reference_dir)
    before = _counts()

    call_command("load_reference", path=reference_dir)

    assert _counts() == before
    assert "défis : 0 créé(s), 0 mis à jour, 131 inchangé(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_load_reference_keeps_the_kind_corrected_by_staff(small_reference):
    call_command("load_reference", path=small_reference)
    Administration.objects.filter(name="Agence du test").update(kind=Kind.MINISTRY)

    call_command("load_reference", path=small_reference)

    assert Administration.objects.get(name="Agence du test").kind == Kind.MINISTRY


@pytest.mark.django_db
def test_load_reference_reads_python_literal_fields(small_reference):
    call_command("load_reference", path=small_reference)

    defi = Defi.objects.get(slug="defi-test")
    assert defi.themes == "Santé, Données"
    assert defi.town == "Paris"
    assert defi.administration.town == "Paris"
    assert defi.source_code == "https://github.com/entrepreneur-interet-general/test"
    assert defi.call.slug == "aap-eig-4"
    assert list(defi.positions.values_list("rank", "specialty")) == [
        (1, Specialty.DESIGN),
        (2, Specialty.DIGITAL_LAW),
    ]


@pytest.mark.django_db
def test_load_reference_restores_positions_that_differ(small_reference):
    call_command("load_reference", path=small_reference)
    DefiPosition.objects.filter(rank=2).delete()

    call_command("load_reference", path=small_reference)

    assert list(
        DefiPosition.objects.filter(defi__slug="defi-test").values_list("rank", "specialty")
    ) == [(1, Specialty.DESIGN), (2, Specialty.DIGITAL_LAW)]


@pytest.mark.django_db
def test_load_reference_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="introuvable"):
        call_command("load_reference", path=tmp_path / "absent")

    assert Promotion.objects.count() == 0


@pytest.mark.django_db
def test_load_reference_reads_the_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EIG_REFERENCE_DIR", str(tmp_path / "ailleurs"))

    with pytest.raises(CommandError, match="ailleurs"):
        call_command("load_reference")


@pytest.mark.django_db
def test_load_reference_refuses_a_folder_without_the_files(tmp_path):
    with pytest.raises(CommandError, match="defis.json"):
        call_command("load_reference", path=tmp_path)


@pytest.mark.django_db
def test_load_reference_if_present_without_folder_loads_nothing(tmp_path, capsys):
    call_command("load_reference", "--if-present", "--path", str(tmp_path / "absent"))

    assert "Données de référence absentes" in capsys.readouterr().err
    assert Defi.objects.count() == 0


def test_markdown_from_hugo_turns_shortcodes_into_links():
    text = (
        '{{< arrow-link url="https://orgues.fr/" title="Démonstration" target="true" >}}\n\n'
        'Vidéo : {{< dailymotion x64z39y "Vidéo AFD - Geodata">}}. '
        '{{< dailymotion"Sans identifiant">}}Fin.'
    )

    assert markdown_from_hugo(text) == (
        "[Démonstration](https://orgues.fr/)\n\n"
        "Vidéo : [Vidéo AFD - Geodata](https://www.dailymotion.com/video/x64z39y). Fin."
    )
