"""Small real PDF files for upload tests."""

import io

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=842, height=595)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _written(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_many_pages(pages: int, *, declared: int | None = None, shared: bool = False) -> bytes:
    """A PDF of `pages` pages built cheaply: the pages share one content stream and one
    media box. With `shared`, every entry of the page tree is the same page object, so that
    50,000 pages weigh 600 Ko and build in a blink, and cost a reader that walks the tree as
    much as distinct ones. `declared` sets another /Count at the root of the tree, as a
    forged file would."""
    writer = PdfWriter()
    first = writer.add_blank_page(width=10, height=10)
    content = writer._add_object(StreamObject())
    first[NameObject("/Contents")] = content
    tree = writer._root_object["/Pages"]
    kids = tree["/Kids"]
    for _ in range(pages - 1):
        if shared:
            kids.append(first.indirect_reference)
            continue
        page = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Page"),
                NameObject("/Parent"): tree.indirect_reference,
                NameObject("/MediaBox"): first["/MediaBox"],
                NameObject("/Contents"): content,
            }
        )
        kids.append(writer._add_object(page))
    tree[NameObject("/Count")] = NumberObject(declared if declared is not None else pages)
    return _written(writer)


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def pdf_with_open_action_javascript() -> bytes:
    """One page, and JavaScript run as the document opens."""
    writer = PdfWriter()
    writer.add_blank_page(width=842, height=595)
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(
        _action("/JavaScript", JS="app.launchURL('https://exemple.invalid/');")
    )
    return _written(writer)


def pdf_with_document_javascript() -> bytes:
    """JavaScript in the document's name tree, run by some readers as the file opens."""
    writer = PdfWriter()
    writer.add_blank_page(width=842, height=595)
    script = writer._add_object(_action("/JavaScript", JS="app.alert('Bonjour');"))
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("bonjour"), script])}
    )
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _written(writer)


def pdf_with_launch_link() -> bytes:
    """A link on the page whose action launches a program, written inline in the page."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=842, height=595)
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 100, 100)]),
            NameObject("/A"): _action("/Launch", F="C:\\Windows\\System32\\calc.exe"),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([link])
    return _written(writer)
