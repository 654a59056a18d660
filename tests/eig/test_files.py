"""PDF checks: cheap refusals first, a page count read before any page, no active content."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from pypdf import PdfReader

from eig.files import validate_pdf
from tests import pdfs

MB = 1024 * 1024


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("document.pdf", content, content_type="application/pdf")


def _refusal(content: bytes, **limits) -> ValidationError:
    limits = {"max_bytes": 10 * MB, "max_pages": 12, **limits}
    with pytest.raises(ValidationError) as error:
        validate_pdf(_upload(content), **limits)
    return error.value


def test_validate_pdf_accepts_a_plain_pdf_and_counts_its_pages():
    assert validate_pdf(_upload(pdfs.pdf_bytes(3)), max_bytes=MB, max_pages=12) == 3


def test_validate_pdf_reads_the_page_count_before_walking_the_pages(monkeypatch):
    bomb = pdfs.pdf_with_many_pages(50_000, shared=True)

    def walk(*args, **kwargs):
        raise AssertionError("the pages were walked")

    monkeypatch.setattr(PdfReader, "_flatten", walk)

    error = _refusal(bomb)

    assert error.code == "pdf_too_many_pages"
    assert error.messages == ["Ce PDF compte 50000 pages : la limite est de 12."]


def test_validate_pdf_refuses_a_tree_longer_than_its_declared_count():
    forged = pdfs.pdf_with_many_pages(50, declared=5)

    assert _refusal(forged).code == "pdf_unreadable"


@pytest.mark.parametrize(
    ("build", "code", "start"),
    [
        (pdfs.pdf_with_open_action_javascript, "pdf_javascript", "Ce PDF contient du JavaScript"),
        (pdfs.pdf_with_document_javascript, "pdf_javascript", "Ce PDF contient du JavaScript"),
        (pdfs.pdf_with_launch_link, "pdf_launch", "Ce PDF contient une action qui lance"),
    ],
    ids=["open-action-javascript", "name-tree-javascript", "launch-link"],
)
def test_validate_pdf_refuses_active_content_in_french(build, code, start):
    error = _refusal(build())

    assert error.code == code
    assert error.messages[0].startswith(start)
    assert "exportez votre document de nouveau au format PDF" in error.messages[0]


def test_validate_pdf_sees_names_written_in_hexadecimal():
    # /J#61vaScript is /JavaScript to a reader; the offsets no longer match, readers repair.
    hidden = (
        pdfs.pdf_with_open_action_javascript()
        .replace(b"/JavaScript", b"/J#61vaScript")
        .replace(b"/JS ", b"/J#53 ")
    )

    assert _refusal(hidden).code == "pdf_javascript"


@override_settings(MAX_UPLOAD_SIZE=1 * MB)
def test_validate_pdf_size_never_above_the_setting():
    heavy = pdfs.pdf_bytes(1) + b"%" + b"x" * (2 * MB)

    error = _refusal(heavy, max_bytes=10 * MB)

    assert error.code == "file_too_large"
