"""Checks of uploaded files, shared by pitch decks and CVs.

A file is judged by its content, never by its name or the browser's content type: both are
chosen by the uploader.
"""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from eig.programme.french import format_file_size

PDF_MAGIC = b"%PDF-"


def validate_pdf(upload: UploadedFile, *, max_bytes: int, max_pages: int | None = None) -> int:
    """Raise ValidationError with a French message unless `upload` is a readable PDF within
    the limits; return its number of pages."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if upload.size > max_bytes:
        raise ValidationError(
            "Le fichier pèse %(size)s : la limite est de %(max)s.",
            code="file_too_large",
            params={"size": format_file_size(upload.size), "max": format_file_size(max_bytes)},
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if PDF_MAGIC not in head:
        raise ValidationError(
            "Ce fichier n'est pas un PDF. Exportez votre document au format PDF "
            "(Fichier › Exporter › PDF) puis déposez-le de nouveau.",
            code="not_pdf",
        )
    try:
        reader = PdfReader(upload)
        if reader.is_encrypted:
            raise ValidationError(
                "Ce PDF est protégé par un mot de passe : déposez une version sans protection.",
                code="pdf_encrypted",
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise ValidationError(
            "Ce PDF est illisible ou endommagé : exportez-le de nouveau puis déposez-le.",
            code="pdf_unreadable",
        ) from error
    finally:
        upload.seek(0)
    if max_pages is not None and pages > max_pages:
        raise ValidationError(
            "Ce PDF compte %(pages)s pages : la limite est de %(max)s.",
            code="pdf_too_many_pages",
            params={"pages": pages, "max": max_pages},
        )
    return pages
