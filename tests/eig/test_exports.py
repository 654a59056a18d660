"""CSV and XLSX exports: formulas neutralised, figures kept as figures."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from eig.exports import csv_response, xlsx_response


def _csv(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://exemple.org","clic")', '\'=HYPERLINK("http://exemple.org","clic")'),
        ("+33 1 40 00 00 00", "'+33 1 40 00 00 00"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Ministère de la Culture", "Ministère de la Culture"),
        ("a=b", "a=b"),
    ],
)
def test_csv_neutralises_texts_that_would_run_as_formulas(text, written):
    rows = _csv(csv_response("export.csv", ["Texte"], [[text]]))

    assert rows[1] == [written]


def test_csv_keeps_figures_as_figures_the_french_way():
    paris = datetime.datetime(2026, 3, 24, 8, 30, tzinfo=datetime.UTC)
    rows = _csv(
        csv_response(
            "export.csv",
            ["n", "montant", "note", "négatif", "vide", "booléen", "date", "instant"],
            [[3, Decimal("138734.2"), 2 / 3, Decimal("-1500"), None, True, paris.date(), paris]],
        )
    )

    assert rows[1] == [
        "3",
        "138734,20",
        "0,67",
        "-1500,00",
        "",
        "oui",
        "24/03/2026",
        "24/03/2026 09:30",
    ]


def test_xlsx_writes_formula_texts_as_strings_and_figures_as_numbers():
    response = xlsx_response(
        "export.xlsx",
        "Feuille",
        ["Titre", "Montant", "Rang"],
        [['=HYPERLINK("http://exemple.org")', Decimal("-12.5"), 1]],
    )

    sheet = load_workbook(io.BytesIO(response.content))["Feuille"]
    header, row = list(sheet.iter_rows())
    assert [cell.value for cell in header] == ["Titre", "Montant", "Rang"]
    assert all(cell.font.bold for cell in header)
    assert (row[0].value, row[0].data_type) == ('=HYPERLINK("http://exemple.org")', "s")
    assert (row[1].value, row[1].data_type, row[1].number_format) == (-12.5, "n", "0.00")
    assert row[2].value == 1
    assert sheet.freeze_panes == "A2"


def test_xlsx_writes_dates_booleans_and_blanks_in_their_columns():
    at = timezone.make_aware(datetime.datetime(2026, 3, 24, 9, 30))
    response = xlsx_response(
        "export.xlsx",
        "Feuille : [test]",
        ["Le", "Jour", "Vide", "Oui", "Texte"],
        [[at, datetime.date(2026, 3, 24), None, True, "A & <b>"]],
    )

    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows())
    assert [cell.value for cell in row] == [
        timezone.localtime(at).replace(tzinfo=None),
        datetime.datetime(2026, 3, 24),
        None,
        "oui",
        "A & <b>",
    ]
    assert row[4].column_letter == "E"
    assert sheet.title == "Feuille    test "  # no : [ ] in a sheet name
