"""Spreadsheet exports, CSV and XLSX, written in one place.

Every text cell comes from someone's typing (a défi's title, an administration's name): a
spreadsheet would run one starting with = + - @ (or a tabulation, a carriage return) as a
formula, `=HYPERLINK(...)` sending the reader's data away. Following OWASP's guidance on
CSV injection, such a text is written with a leading single quote in CSV, and as an
explicit string cell in XLSX (the type says it is text; a quote would show). Figures stay
figures: a negative amount is a number, not a formula.

CSV is written for Excel in French: UTF-8 with a byte-order mark, semicolons, decimal
commas, two decimals for non-integers, dates as dd/mm/yyyy.
"""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

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


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def csv_response(filename: str, header: Row, rows: Iterable[Row]) -> HttpResponse:
    """An attachment `filename` with `header` then `rows` (of any length; [] is a blank
    line)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that Excel reads the accents right
    writer = csv.writer(response, delimiter=";")
    writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return response


def _xlsx_cell(sheet, value) -> WriteOnlyCell:
    if value is None or _is_figure(value):
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, float | Decimal):
            cell.number_format = "0.00"
        return cell
    if isinstance(value, bool):
        return WriteOnlyCell(sheet, value="oui" if value else "non")
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: the time as read in Paris.
        return WriteOnlyCell(sheet, value=_local(value).replace(tzinfo=None))
    if isinstance(value, datetime.date):
        return WriteOnlyCell(sheet, value=value)
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def xlsx_response(filename: str, sheet_title: str, header: Row, rows: Iterable[Row]):
    """One sheet: bold frozen header, figures as numbers (two decimals shown)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for title in header:
        cell = _xlsx_cell(sheet, title)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    content = io.BytesIO()
    workbook.save(content)
    response = HttpResponse(content.getvalue(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
