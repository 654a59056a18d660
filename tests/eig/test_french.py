"""French wording: ordinals, file sizes, blank choices of selects."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse

from eig.files import validate_pdf
from eig.programme.forms import AdministrationCreateForm
from eig.programme.french import (
    format_file_size,
    format_ordinal,
    guess_article,
    of_name,
    the_name,
    to_name,
)
from eig.programme.models import Administration
from tests.factories import StaffFactory
from tests.pdfs import pdf_bytes


@pytest.mark.parametrize(
    ("number", "feminine", "expected"),
    [(1, False, "1er"), (1, True, "1re"), (2, False, "2e"), (11, False, "11e"), (21, True, "21e")],
)
def test_format_ordinal(number, feminine, expected):
    assert format_ordinal(number, feminine=feminine) == expected


def test_ordinal_filter_writes_1er_not_1e():
    template = Template("{% load french %}{{ a|ordinal }} {{ a|ordinal:'f' }} {{ b|ordinal }}")

    assert template.render(Context({"a": 1, "b": 3})) == (
        "1<sup>er</sup> 1<sup>re</sup> 3<sup>e</sup>"
    )


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (1, "1\u00a0octet"),
        (500, "500\u00a0octets"),
        (300 * 1024, "300,0\u00a0Ko"),
        (10 * 1024 * 1024, "10,0\u00a0Mo"),
        (15 * 1024 * 1024, "15,0\u00a0Mo"),
        (int(1.5 * 1024 * 1024), "1,5\u00a0Mo"),
        (3 * 1024**3, "3,0\u00a0Go"),
    ],
)
def test_format_file_size_says_mo_not_mio(size, expected):
    assert format_file_size(size) == expected


def test_file_size_filter():
    assert Template("{% load french %}{{ n|file_size }}").render(
        Context({"n": 10 * 1024 * 1024})
    ) == ("10,0\u00a0Mo")


def test_too_large_pdf_message_says_mo_as_the_help_text():
    upload = SimpleUploadedFile("gros.pdf", pdf_bytes(1) + b" " * (2 * 1024 * 1024))

    with pytest.raises(ValidationError) as error:
        validate_pdf(upload, max_bytes=1024 * 1024)

    assert error.value.messages == ["Le fichier pèse 2,0\u00a0Mo : la limite est de 1,0\u00a0Mo."]


@pytest.mark.django_db
def test_blank_choice_of_a_select_reads_choisir():
    rendered = str(AdministrationCreateForm()["parent"])

    assert "---------" not in rendered
    assert '<option value="" selected>Choisir…</option>' in rendered


@pytest.mark.django_db
def test_blank_choice_in_the_admin_reads_choisir(client):
    client.force_login(StaffFactory())

    response = client.get(reverse("admin:projects_projectcall_add"))

    text = response.content.decode()
    assert response.status_code == 200
    assert "---------" not in text
    assert "Choisir…</option>" in text


# Administrations in a sentence: the article of their name.


@pytest.mark.parametrize(
    ("name", "article"),
    [
        # Real names, from the administrations that hosted défis (reference data).
        ("Ministère de la Culture", "le"),
        ("Ministère de l’Intérieur", "le"),
        ("Ministère des Armées", "le"),
        ("Secrétariat général des ministères sociaux", "le"),
        ("Commissariat général au développement durable (CGDD)", "le"),
        ("Centre national de surveillance des pêches", "le"),
        (
            "Service hydrographique et océanographique de la marine (Shom), Ministère des Armées",
            "le",
        ),
        ("Groupement d’intérêt public Modernisation des Déclarations Sociales (GIP MDS)", "le"),
        ("Muséum Histoire Naturelle", "le"),
        ("Cerema", "le"),
        ("Direction interministérielle du numérique (DINUM)", "la"),
        ("Direction générale des finances publiques (DGFiP)", "la"),
        ("Délégation au numérique en santé", "la"),
        ("Caisse Nationale d’Assurance Maladie", "la"),
        ("Cour des comptes", "la"),
        ("Haute Autorité de Santé", "la"),
        ("Bibliothèque nationale de France", "la"),
        ("Présidence de la République", "la"),
        ("Mission Identité Numérique, Ministère de l’Intérieur", "la"),
        ("Agence nationale de la cohésion des territoires", "l'"),
        ("Agence de la transition écologique (ADEME)", "l'"),
        ("Autorité de sûreté nucléaire", "l'"),
        ("Institut national de la statistique et des études économiques (INSEE)", "l'"),
        ("Académie de Lyon, Ministère de l’Éducation Nationale", "l'"),
        ("Etablissement Public National Antoine Koenigswarter (EPNAK)", "l'"),
        ("Urssaf Caisse nationale", "l'"),
        ("ANCT", "l'"),
        ("Services du Premier ministre, direction interministérielle du numérique", "les"),
        # Others the platform will meet.
        ("DINUM", "la"),
        ("DITP", "la"),
        ("CGDD", "le"),
        ("Archives nationales", "les"),
        ("Hôpital Foch", "l'"),
        ("Haut-commissariat au plan", "le"),
        ("Préfecture de la Gironde", "la"),
        ("Région Bretagne", "la"),
        ("Pôle emploi", "aucun"),
        ("France Travail", "aucun"),
        ("Etalab", "aucun"),
        ("Bpifrance", "aucun"),
        ("Koenigswarter", "aucun"),
    ],
)
def test_guess_article_on_real_names(name, article):
    assert guess_article(name) == article


@pytest.mark.parametrize(
    ("name", "article", "the", "of", "to"),
    [
        (
            "Ministère de la Culture",
            "le",
            "le ministère de la Culture",
            "du ministère de la Culture",
            "au ministère de la Culture",
        ),
        ("DINUM", "la", "la DINUM", "de la DINUM", "à la DINUM"),
        (
            "Agence nationale de l’habitat",
            "l'",
            "l’Agence nationale de l’habitat",
            "de l’Agence nationale de l’habitat",
            "à l’Agence nationale de l’habitat",
        ),
        (
            "Archives nationales",
            "les",
            "les Archives nationales",
            "des Archives nationales",
            "aux Archives nationales",
        ),
        ("Cerema", "le", "le Cerema", "du Cerema", "au Cerema"),
        ("Pôle emploi", "aucun", "Pôle emploi", "de Pôle emploi", "à Pôle emploi"),
        ("Etalab", "aucun", "Etalab", "d’Etalab", "à Etalab"),
        # The stored article wins over the guess (« le », from « Pôle »).
        ("Pôle numérique", "aucun", "Pôle numérique", "de Pôle numérique", "à Pôle numérique"),
        # Only « Ministère » loses its capital after the article.
        (
            "Ministères sociaux",
            "les",
            "les ministères sociaux",
            "des ministères sociaux",
            "aux ministères sociaux",
        ),
    ],
)
def test_administration_name_with_its_article(name, article, the, of, to):
    administration = Administration(name=name, article=article)

    assert (the_name(administration), of_name(administration), to_name(administration)) == (
        the,
        of,
        to,
    )


def test_administration_name_helpers_take_a_snapshot_or_a_bare_name():
    assert of_name({"name": "Ministère de la Culture", "article": "le"}) == (
        "du ministère de la Culture"
    )
    # A snapshot made before articles were stored, and a bare name: the guess.
    assert of_name({"name": "Direction du budget"}) == "de la Direction du budget"
    assert to_name("Ministère des Armées") == "au ministère des Armées"
    # An article left empty is guessed too.
    assert the_name(Administration(name="Cour des comptes", article="")) == "la Cour des comptes"


def test_administration_filters_write_the_article():
    template = Template(
        "{% load french %}membre {{ a|de }} ; rattachement {{ a|a }} ; "
        "{{ a|le|capfirst }} signe ; {{ b|de }} ; {{ c|a }} ; {{ d|de }} ; [{{ none|de }}]"
    )
    context = Context(
        {
            "a": Administration(name="Ministère de la Culture", article="le"),
            "b": Administration(
                name="Institut national de l’information géographique", article="l'"
            ),
            "c": Administration(name="Archives nationales", article="les"),
            "d": Administration(name="Pôle emploi", article="aucun"),
            "none": None,
        }
    )

    assert template.render(context) == (
        "membre du ministère de la Culture ; rattachement au ministère de la Culture ; "
        "Le ministère de la Culture signe ; de l’Institut national de l’information "
        "géographique ; aux Archives nationales ; de Pôle emploi ; []"
    )
