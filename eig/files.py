"""Checks of uploaded files, shared by pitch decks, signed conventions and CVs.

A file is judged by its content, never by its name or the browser's content type: both are
chosen by the uploader. The checks go from the cheapest to the dearest, so that a hostile
file is refused before it costs anything: size, signature, page count as the document
declares it (walking 50,000 pages took 25 s), the page tree within that count, then every
object that may hold active content (JavaScript, launch actions) that a viewer could run.
"""

import bisect
import io
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from eig.programme.french import format_file_size

PDF_MAGIC = b"%PDF-"
# No file the platform takes is longer; each form sets its own, smaller limit.
PDF_MAX_PAGES = 300
# Nesting of direct objects inside one object (a real file needs a handful).
_MAX_DEPTH = 32

_REEXPORT = (
    "exportez votre document de nouveau au format PDF (Fichier › Exporter › PDF, ou "
    "Imprimer › Enregistrer au format PDF) puis déposez-le."
)


class UploadSizeLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a file stops being stored, in memory or on disk, as
    soon as it passes MAX_UPLOAD_SIZE (the proxy should have stopped it already). The form
    then receives an empty file that knows its real size, and refuses it in French."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_UPLOAD_SIZE:
            self.too_large = True
        # None keeps the chunk from the handlers that store it.
        return None if self.too_large else raw_data

    def file_complete(self, file_size):
        if not self.too_large:
            return None  # the next handler hands over the file it stored
        return InMemoryUploadedFile(
            io.BytesIO(),
            self.field_name,
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


def _unreadable() -> ValidationError:
    return ValidationError(
        "Ce PDF est illisible ou endommagé : exportez-le de nouveau puis déposez-le.",
        code="pdf_unreadable",
    )


def _too_many_pages(pages: int, max_pages: int) -> ValidationError:
    return ValidationError(
        "Ce PDF compte %(pages)s pages : la limite est de %(max)s.",
        code="pdf_too_many_pages",
        params={"pages": pages, "max": max_pages},
    )


def validate_pdf(upload: UploadedFile, *, max_bytes: int, max_pages: int | None = None) -> int:
    """Raise ValidationError with a French message unless `upload` is a readable PDF within
    the limits (`max_bytes`, never above the MAX_UPLOAD_SIZE_MB setting; `max_pages`, at
    most PDF_MAX_PAGES) and without JavaScript or launch action; return its number of
    pages."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    max_bytes = min(max_bytes, settings.MAX_UPLOAD_SIZE)
    max_pages = min(max_pages or PDF_MAX_PAGES, PDF_MAX_PAGES)
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
        pages = _page_count(reader, max_pages)
        upload.seek(0)
        _refuse_active_content(reader, upload.read())
    except ValidationError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise _unreadable() from error
    except RecursionError as error:
        raise _unreadable() from error
    finally:
        upload.seek(0)
    return pages


def _entry(dictionary, key: str):
    """The value of `key`, resolved when it is a reference (`.get()` does not resolve)."""
    value = dictionary.get(key)
    return None if value is None else value.get_object()


def _page_count(reader, max_pages: int) -> int:
    """The number of pages, read from the root of the page tree before any page: a
    document over the limit is refused at once. The tree is then walked up to the limit
    only, so that a root understating its pages costs no more than an honest one."""
    from pypdf.generic import DictionaryObject

    root = reader.trailer["/Root"].get_object()
    tree = root["/Pages"].get_object()
    declared = _entry(tree, "/Count")
    if not isinstance(declared, int) or declared < 0:
        raise _unreadable()
    if declared > max_pages:
        raise _too_many_pages(int(declared), max_pages)
    pages, visited, seen = 0, 0, set()
    stack = [tree]
    while stack:
        node = stack.pop()
        visited += 1
        # A tree of max_pages leaves has fewer inner nodes than leaves, plus some slack.
        if visited > 2 * max_pages + 64:
            raise _unreadable()
        kids = _entry(node, "/Kids")
        if kids is None:
            pages += 1
            if pages > max_pages:  # the root said fewer: the file is not what it claims
                raise _unreadable()
            continue
        for kid in reversed(kids):
            reference = getattr(kid, "idnum", None)
            if reference is not None:
                if reference in seen:  # a page tree with a loop
                    raise _unreadable()
                seen.add(reference)
            kid = kid.get_object()
            if not isinstance(kid, DictionaryObject):
                raise _unreadable()
            stack.append(kid)
    return pages


def _name_pattern(*names: str) -> re.Pattern:
    """PDF names as they may be written: any character as itself or as #xx (hexadecimal),
    followed by a delimiter."""

    def char(c: str) -> str:
        return f"(?:{re.escape(c)}|#{ord(c):02x})"

    words = "|".join("".join(char(c) for c in name) for name in names)
    return re.compile(rb"/(?:" + words.encode() + rb")(?=[\s/<>\[\]()%{}]|$)", re.IGNORECASE)


# Case-insensitive for the hexadecimal digits: a wider net, each catch is then parsed.
_ACTIVE_NAMES = _name_pattern("JS", "JavaScript", "Launch")


def _refuse_active_content(reader, data: bytes) -> None:
    """Refuse JavaScript (an action of type JavaScript, a /JS entry, the document's
    JavaScript name tree) or a launch action, wherever a viewer could run it: the opening
    action (/OpenAction), a page's or a field's actions (/AA), a link, a bookmark.

    Parsing every object costs ~200 µs each (10 s for 50,000): the raw bytes are searched
    for the names first, and only the objects where one shows up are parsed and looked
    into; objects packed in compressed object streams are searched once unpacked."""
    from pypdf.generic import IndirectObject

    offsets = sorted(
        (offset, number, generation)
        for generation, table in reader.xref.items()
        for number, offset in table.items()
        if isinstance(offset, int)
    )
    starts = [offset for offset, _, _ in offsets]
    suspects = set()
    for match in _ACTIVE_NAMES.finditer(data):
        index = bisect.bisect_right(starts, match.start()) - 1
        if index >= 0:
            suspects.add(offsets[index][1:])
    packed = {}
    for number, (stream, _) in reader.xref_objStm.items():
        packed.setdefault(stream, []).append(number)
    for stream, numbers in packed.items():
        if _ACTIVE_NAMES.search(reader.get_object(stream).get_data()):
            suspects.update((number, 0) for number in numbers)
    for number, generation in sorted(suspects):
        found = _active(reader.get_object(IndirectObject(number, generation, reader)), 0)
        if found == "javascript":
            raise ValidationError(
                "Ce PDF contient du JavaScript, qu'un lecteur de PDF pourrait exécuter à "
                "l'ouverture : " + _REEXPORT,
                code="pdf_javascript",
            )
        if found == "launch":
            raise ValidationError(
                "Ce PDF contient une action qui lance un programme ou ouvre un autre fichier : "
                + _REEXPORT,
                code="pdf_launch",
            )


def _active(obj, depth: int) -> str | None:
    """ "javascript" or "launch" if `obj` or a direct object inside it is such an action;
    objects it refers to are looked at on their own turn."""
    from pypdf.generic import ArrayObject, DictionaryObject

    if depth > _MAX_DEPTH:
        raise _unreadable()
    if isinstance(obj, DictionaryObject):
        if "/JS" in obj or "/JavaScript" in obj:
            return "javascript"
        kind = _entry(obj, "/S")  # an action's type
        if kind == "/JavaScript":
            return "javascript"
        if kind == "/Launch":
            return "launch"
        values = obj.values()
    elif isinstance(obj, ArrayObject):
        values = obj
    else:
        return None
    for value in values:
        if isinstance(value, DictionaryObject | ArrayObject):
            found = _active(value, depth + 1)
            if found:
                return found
    return None
