"""French wording: ordinals, file sizes, blank choices of selects."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse

from eig.files import validate_pdf
from eig.programme.forms import AdministrationCreateForm
from eig.programme.french import format_file_size, format_ordinal
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
