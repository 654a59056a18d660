"""Spreadsheet exports, CSV and XLSX, written in one place.

Every text cell comes from someone's typing (a défi's title, an administration's name): a
spreadsheet would run one starting with = + - @ (or a tabulation, a carriage return) as a
formula, `=HYPERLINK(...)` sending the reader's data away. Following OWASP's guidance on
CSV injection, such a text is written with a leading single quote in CSV, and as an
explicit (inline) string cell in XLSX (the type says it is text; a quote would show). Figures stay
figures: a negative amount is a number, not a formula.

CSV is written for Excel in French: UTF-8 with a byte-order mark, semicolons, decimal
commas, two decimals for non-integers, dates as dd/mm/yyyy.
"""

import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain, groupby, repeat
from types import NoneType

from django.http import HttpResponse
from django.utils import timezone
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Row = Sequence[object]


def neutralise(text: str) -> str:
    """A text a spreadsheet shows as text, never runs."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _is_figure(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _local(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def _csv_text(value: str) -> str:
    # Most texts are printable: the regular expression runs only on the others.
    return neutralise(value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value))


def _csv_decimal(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _csv_decimal(value)
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return _csv_text(str(value))


# --- Column by column ---------------------------------------------------------------------
#
# An export of the ranking has 40,000 cells, but few distinct values down most of its
# columns (a state, a holder, a mean of three marks out of five): the writers take the rows
# as columns, look at a column's types once (`set(map(type, ...))` runs in C) and, when its
# values are of one type, write each distinct value once. A column of mixed types (a totals
# row's label above amounts) or of a rarer type (dates) is written value by value: values
# of different types can be equal (1 == 1.0 == True) and be written differently.


def _column_runs(rows: Iterable[Row]) -> Iterator[tuple[int, list[tuple]]]:
    """(count, columns) for each run of consecutive rows of one width: the writers take a
    run column by column. A run of blank lines has no columns."""
    for _, run in groupby(rows, key=len):
        run = list(run)
        yield len(run), list(zip(*run, strict=True))


def _by_column(values: Sequence, writers: dict, cell) -> list[str]:
    """The cells of one column: `writers[type]` writes the column's distinct values (a list
    of them, at once) when they are of one type (None aside), else `cell` writes each
    value."""
    kinds = set(map(type, values))
    kinds.discard(NoneType)
    kind = kinds.pop() if len(kinds) == 1 else None
    write = writers.get(kind)
    if write is None:
        return [cell(value) for value in values]
    distinct = set(values)
    distinct.discard(None)
    distinct = list(distinct)
    written = dict(zip(distinct, write(distinct), strict=True))
    written[None] = cell(None)
    if kind is float and 0.0 in written:
        # 0.0 and -0.0 are one key but two cells: a zero is written on its own.
        return [written[value] if value else cell(value) for value in values]
    return list(map(written.__getitem__, values))


# CSV is written without `csv.writer`, which looks at each character of each cell (4 ms of
# the ranking's 40,000): only a text can need quotes, and it is quoted as the writer's
# QUOTE_MINIMAL would, when it holds the delimiter, a quote or a line break.
_CSV_QUOTE = re.compile('[;"\r\n]')


def _csv_quoted(cell: str) -> str:
    if _CSV_QUOTE.search(cell) is None:
        return cell
    return '"' + cell.replace('"', '""') + '"'


def _csv_quoted_cell(value) -> str:
    return _csv_quoted(csv_cell(value))


def _csv_texts(texts: list[str]) -> list[str]:
    # Most columns of texts need nothing done: looked at all at once, then one by one only
    # when some text needs it. Printable: no character to remove, nor a line break to quote.
    joined = "".join(texts)
    if (
        joined.isprintable()
        and not any(character in joined for character in ';"')
        and not any(map(str.startswith, texts, repeat(FORMULA_STARTS)))
    ):
        return texts
    return [_csv_quoted(_csv_text(text)) for text in texts]


# Decimals are left to `csv_cell`: a signalling NaN has no hash.
_CSV_WRITERS = {
    float: lambda values: [f"{value:.2f}".replace(".", ",") for value in values],
    int: lambda values: list(map(str, values)),
    bool: lambda values: list(map(csv_cell, values)),
    str: _csv_texts,
}


def _csv_lines(rows: Iterable[Row]) -> list[str]:
    lines = []
    for count, columns in _column_runs(rows):
        if not columns:
            lines += [""] * count
            continue
        cells = [_by_column(column, _CSV_WRITERS, _csv_quoted_cell) for column in columns]
        if len(columns) == 1:
            # A row of one empty field is quoted, as `csv.writer` does: else it would read
            # as a blank line.
            lines.extend(cell or '""' for cell in cells[0])
        else:
            lines.extend(map(";".join, zip(*cells, strict=True)))
    return lines


def csv_response(filename: str, header: Row, rows: Iterable[Row]) -> HttpResponse:
    """An attachment `filename` with `header` then `rows` (of any length; [] is a blank
    line)."""
    lines = _csv_lines([header]) + _csv_lines(rows)
    # The byte-order mark so that Excel reads the accents right; Excel's line endings.
    content = "\ufeff" + "\r\n".join(lines) + "\r\n"
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- XLSX ---------------------------------------------------------------------------------
#
# The sheet is written as SpreadsheetML by hand: one string per row, joined, zipped. openpyxl,
# even in write-only mode, builds an object and a style per cell: the ranking's 2,000 rows
# of 17 columns took 0.6 s, a string per cell takes a tenth of that. The package holds only
# the parts a reader needs: content types, relationships, the workbook, its styles and the
# sheet, with inline strings (no shared-string table to build).

# Cell styles (indexes in styles.xml's cellXfs): plain, bold (the header), two decimals,
# date, date and time.
_PLAIN, _BOLD, _DECIMALS, _DATE, _DATETIME = range(5)
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)

_SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _override(part: str, kind: str) -> str:
    return f'<Override PartName="{part}" ContentType="{_SPREADSHEETML}.{kind}+xml"/>'


def _relationship(rid: str, kind: str, target: str) -> str:
    return f'<Relationship Id="{rid}" Type="{_RELATIONSHIPS}/{kind}" Target="{target}"/>'


_CONTENT_TYPES = (
    f"{_XML}"
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels"'
    ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    + _override("/xl/workbook.xml", "sheet.main")
    + _override("/xl/worksheets/sheet1.xml", "worksheet")
    + _override("/xl/styles.xml", "styles")
    + "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    + _relationship("rId1", "officeDocument", "xl/workbook.xml")
    + "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    + _relationship("rId1", "worksheet", "worksheets/sheet1.xml")
    + _relationship("rId2", "styles", "styles.xml")
    + "</Relationships>"
)
# Built-in number formats: 2 is "0.00", 14 a date; 164 is ours, day first as in France.
_STYLES = (
    f"{_XML}"
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xlsx_text(value: str) -> str:
    if not value.isprintable():
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    # Not str.translate: ten times slower on a text with accents.
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _xlsx_string(value: str, style: int = _PLAIN) -> str:
    return _xlsx_string_as_is(_xlsx_text(value), style)


# What a reader would trim or fold in a text without xml:space="preserve": spaces at its
# ends, tabs, line breaks, spaces in a row. Most cells hold none and go without it.
_XLSX_SPACES = re.compile(r"^\s|\s$|[\t\n\r]|\s\s")


def _xlsx_style(style: int) -> str:
    # The plain style is a cell's default: not written, as the sheet's cells are many.
    return f' s="{style}"' if style else ""


def _xlsx_string_as_is(text: str, style: int = _PLAIN) -> str:
    # An inline string: text, never a formula, whatever it starts with.
    space = ' xml:space="preserve"' if _XLSX_SPACES.search(text) else ""
    return f'<c{_xlsx_style(style)} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _xlsx_decimal(value, style: int = _PLAIN) -> str:
    value = float(value)
    if not math.isfinite(value):  # no NaN nor infinity in a sheet
        return "<c/>"
    return f'<c s="{_DECIMALS}"><v>{value!r}</v></c>'


def _xlsx_cell(value, style: int = _PLAIN) -> str:
    """One `<c>`: a figure as a number, a text always as an inline string, a date as
    Excel's day number."""
    if value is None:
        return "<c/>"
    if isinstance(value, bool):
        return _xlsx_string("oui" if value else "non", style)
    if isinstance(value, int):
        return f"<c{_xlsx_style(style)}><v>{int(value)}</v></c>"
    if isinstance(value, float | Decimal):
        return _xlsx_decimal(value)
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: the time as read in Paris.
        local = _local(value).replace(tzinfo=None)
        serial = (local - _EXCEL_EPOCH) / datetime.timedelta(days=1)
        return f'<c s="{_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, datetime.date):
        return f'<c s="{_DATE}"><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>'
    return _xlsx_string(str(value), style)


def _xlsx_texts(texts: list[str]) -> list[str]:
    # A column of texts is looked at all at once, then one by one only when some text has
    # a character to remove (not printable). Printable texts are escaped together, joined
    # by a character none of them holds, and hold no tab nor line break: only spaces at
    # their ends or in a row need xml:space (a column of 2,000 titles: 2.3 ms one by one).
    if not texts or not "".join(texts).isprintable():
        return list(map(_xlsx_string, texts))
    joined = "\x00".join(texts)
    if any(character in joined for character in '&<>"'):
        joined = (
            joined.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&quot;")
        )
    escaped = joined.split("\x00")
    ends = joined[:1] == " " or joined[-1:] == " " or " \x00" in joined or "\x00 " in joined
    if ends or "  " in joined:
        return list(map(_xlsx_string_as_is, escaped))
    return [f'<c t="inlineStr"><is><t>{text}</t></is></c>' for text in escaped]


# Decimals are left to `_xlsx_cell`: a signalling NaN has no hash.
_XLSX_WRITERS = {
    float: lambda values: list(map(_xlsx_decimal, values)),
    int: lambda values: [f"<c><v>{value}</v></c>" for value in values],
    bool: lambda values: list(map(_xlsx_cell, values)),
    str: _xlsx_texts,
}


def xlsx_content(sheet_title: str, header: Row, rows: Iterable[Row]) -> bytes:
    """One sheet: bold frozen header, figures as numbers (two decimals shown)."""
    parts = [f'<row r="1">{"".join(_xlsx_cell(value, _BOLD) for value in header)}</row>']
    number = 2
    for count, columns in _column_runs(rows):
        cells = [_by_column(column, _XLSX_WRITERS, _xlsx_cell) for column in columns]
        starts = [f'<row r="{row}">' for row in range(number, number + count)]
        # Cells need no reference: each follows the previous one in its row.
        parts.extend(chain.from_iterable(zip(starts, *cells, repeat("</row>"))))
        number += count
    sheet = (
        f"{_XML}"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        f"<sheetData>{''.join(parts)}</sheetData></worksheet>"
    )
    # A sheet name: at most 31 characters, none of []:*?/\
    title = _xlsx_text(re.sub(r"[\[\]:*?/\\]", " ", sheet_title)[:31] or "Feuille")
    workbook = (
        f"{_XML}"
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        f' xmlns:r="{_RELATIONSHIPS}">'
        f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    content = io.BytesIO()
    # Level 1: the text compresses well enough, and the best level costs more than the rest.
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", workbook)
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        package.writestr("xl/worksheets/sheet1.xml", sheet)
    return content.getvalue()


def xlsx_response(filename: str, sheet_title: str, header: Row, rows: Iterable[Row]):
    """An attachment `filename`: one sheet, bold frozen header, figures as numbers (two
    decimals shown)."""
    response = HttpResponse(xlsx_content(sheet_title, header, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
