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

import csv
import datetime
import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal

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


# The common types by their exact type: one dictionary lookup a cell, not a chain of
# isinstance (an export of the ranking has 40,000 cells).
_CSV_CELLS = {
    type(None): lambda value: "",
    bool: lambda value: "oui" if value else "non",
    int: str,
    float: _csv_decimal,
    Decimal: _csv_decimal,
    str: _csv_text,
}


def csv_cell(value) -> str:
    cell = _CSV_CELLS.get(type(value))
    if cell is not None:
        return cell(value)
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


def _once_per_text(write):
    """`write` for texts, each distinct text written once: texts repeat down a column (a
    holder, a state, « oui »), and an export has thousands of cells."""
    written: dict[str, str] = {}

    def once(text: str) -> str:
        cell = written.get(text)
        if cell is None:
            cell = written[text] = write(text)
        return cell

    return once


def csv_response(filename: str, header: Row, rows: Iterable[Row]) -> HttpResponse:
    """An attachment `filename` with `header` then `rows` (of any length; [] is a blank
    line)."""
    # Written to a string, then to the response once: a write per row to the response
    # encodes each row on its own.
    content = io.StringIO()
    content.write("\ufeff")  # so that Excel reads the accents right
    writer = csv.writer(content, delimiter=";")
    writer.writerow([csv_cell(value) for value in header])
    text = _once_per_text(_csv_text)

    def cell(value):
        if type(value) is float:
            return f"{value:.2f}".replace(".", ",")
        return text(value) if type(value) is str else csv_cell(value)

    writer.writerows([cell(value) for value in row] for row in rows)
    response = HttpResponse(content.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- XLSX ---------------------------------------------------------------------------------
#
# The sheet is written as SpreadsheetML by hand: one string per row, joined, zipped. openpyxl,
# even in write-only mode, builds an object and a style per cell: the ranking's 2,000 rows
# of 17 columns took 0.6 s, a string per cell takes a tenth of that. The package holds only
# the parts a reader needs: content types, relationships, the workbook, its styles and the
# sheet, with inline strings (no shared-string table to build).

_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
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
    return value.translate(_XML_ESCAPES)


def _xlsx_string(value: str, style: int = _PLAIN) -> str:
    # An inline string: text, never a formula, whatever it starts with.
    return (
        f'<c s="{style}" t="inlineStr"><is><t xml:space="preserve">{_xlsx_text(value)}</t></is></c>'
    )


def _xlsx_decimal(value, style: int = _PLAIN) -> str:
    value = float(value)
    if not math.isfinite(value):  # no NaN nor infinity in a sheet
        return "<c/>"
    return f'<c s="{_DECIMALS}"><v>{value!r}</v></c>'


# Cells need no reference: each follows the previous one in its row. The common types by
# their exact type, one dictionary lookup a cell (the ranking's export has 40,000).
_XLSX_CELLS = {
    type(None): lambda value, style=_PLAIN: "<c/>",
    bool: lambda value, style=_PLAIN: _xlsx_string("oui" if value else "non", style),
    int: lambda value, style=_PLAIN: f'<c s="{style}"><v>{value}</v></c>',
    float: _xlsx_decimal,
    Decimal: _xlsx_decimal,
    str: _xlsx_string,
}


def _xlsx_cell(value, style: int = _PLAIN) -> str:
    """One `<c>`: a figure as a number, a text always as an inline string, a date as
    Excel's day number."""
    cell = _XLSX_CELLS.get(type(value))
    if cell is not None:
        return cell(value, style)
    if isinstance(value, bool):
        return _xlsx_string("oui" if value else "non", style)
    if isinstance(value, int):
        return f'<c s="{style}"><v>{int(value)}</v></c>'
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


def xlsx_content(sheet_title: str, header: Row, rows: Iterable[Row]) -> bytes:
    """One sheet: bold frozen header, figures as numbers (two decimals shown)."""
    lines = [f'<row r="1">{"".join(_xlsx_cell(value, _BOLD) for value in header)}</row>']
    text = _once_per_text(_xlsx_string)
    finite = math.isfinite

    def cell(value):
        if type(value) is float and finite(value):
            return f'<c s="{_DECIMALS}"><v>{value!r}</v></c>'
        return text(value) if type(value) is str else _xlsx_cell(value)

    for number, row in enumerate(rows, start=2):
        lines.append(f'<row r="{number}">{"".join([cell(value) for value in row])}</row>')
    sheet = (
        f"{_XML}"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
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
