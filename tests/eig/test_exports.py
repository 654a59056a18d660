"""CSV and XLSX exports: formulas neutralised, figures kept as figures."""

import csv
import datetime
import io
import random
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from eig.exports import _xlsx_cell, csv_cell, csv_response, xlsx_content, xlsx_response


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


def test_xlsx_keeps_the_spaces_of_a_text_only_where_a_reader_would_lose_them():
    texts = ["Direction du numérique", " en tête", "en fin ", "deux  espaces", "ligne\nsuivante"]
    content = xlsx_content("Feuille", ["Texte"], [[text] for text in texts])

    sheet = _sheet(content)
    assert '<c t="inlineStr"><is><t>Direction du numérique</t></is></c>' in sheet
    assert sheet.count('xml:space="preserve"') == 4
    read = load_workbook(io.BytesIO(content)).active
    assert [row[0].value for row in read.iter_rows(min_row=2)] == texts


# The writers take the rows column by column and write each distinct value once: their
# output must stay that of `csv.writer` over `csv_cell`, and of `_xlsx_cell` cell by cell,
# as the writers were before.

NAN, INF = float("nan"), float("inf")
HOSTILE_HEADER = ["Rang", "Titre", "Note", "Montant", "Oui", "Mêlée"]
HOSTILE_ROWS = [
    [1, '=HYPERLINK("http://exemple.org";"clic")', 2 / 3, Decimal("-1500"), True, "a"],
    [2, "+33 1 40 00 00 00", -0.0, Decimal("1.005"), False, 1],
    [None, "-1+1", 0.0, None, None, 1.0],
    [-3, "@SUM(A1:A2)", NAN, Decimal("NaN"), True, True],
    [3, "\t=1+1", INF, Decimal("0"), False, None],
    [3, "\r=1+1", -INF, Decimal("-0"), True, datetime.date(2026, 3, 24)],
    [0, 'ligne\nsuivante; « guillemets » "droits"', 1e16, Decimal("1E+3"), True, Decimal("2.5")],
    [10**15, "bip\x07 nul\x00 <b>&amp;</b>", -2.675, Decimal("12.345"), False, ""],
    [7, "", 1e-7, Decimal("-0.004"), True, "=1"],
    [],
    [""],
    ["Total", 12],
]


def _csv_as_before(header, rows) -> bytes:
    content = io.StringIO()
    content.write("\ufeff")
    writer = csv.writer(content, delimiter=";")
    writer.writerow([csv_cell(value) for value in header])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return content.getvalue().encode()


def _sheet(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()


def _sheet_rows_as_before(rows) -> str:
    return "".join(
        f'<row r="{number}">{"".join(_xlsx_cell(value) for value in row)}</row>'
        for number, row in enumerate(rows, start=2)
    )


def test_csv_writes_hostile_texts_and_odd_figures_as_before():
    content = csv_response("export.csv", HOSTILE_HEADER, HOSTILE_ROWS).content

    # Written by the previous writer (`csv.writer` over `csv_cell`, a row at a time).
    assert content == (
        b"\xef\xbb\xbfRang;Titre;Note;Montant;Oui;M\xc3\xaal\xc3\xa9e\r\n"
        b'1;"\'=HYPERLINK(""http://exemple.org"";""clic"")";0,67;-1500,00;oui;a\r\n'
        b"2;'+33 1 40 00 00 00;-0,00;1,00;non;1\r\n"
        b";'-1+1;0,00;;;1,00\r\n"
        b"-3;'@SUM(A1:A2);nan;NaN;oui;oui\r\n"
        b"3;'\t=1+1;inf;0,00;non;\r\n"
        b'3;"\'\r=1+1";-inf;-0,00;oui;24/03/2026\r\n'
        b'0;"ligne\nsuivante; \xc2\xab guillemets \xc2\xbb ""droits""";'
        b"10000000000000000,00;1000,00;oui;2,50\r\n"
        b'1000000000000000;"bip nul <b>&amp;</b>";-2,67;12,34;non;\r\n'
        b"7;;0,00;-0,00;oui;'=1\r\n"
        b"\r\n"
        b'""\r\n'
        b"Total;12\r\n"
    )
    assert content == _csv_as_before(HOSTILE_HEADER, HOSTILE_ROWS)


def test_xlsx_writes_hostile_texts_and_odd_figures_as_before():
    sheet = _sheet(xlsx_content("Feuille", HOSTILE_HEADER, HOSTILE_ROWS))

    assert sheet.endswith(f"{_sheet_rows_as_before(HOSTILE_ROWS)}</sheetData></worksheet>")
    assert '<row r="3"><c><v>2</v></c>' in sheet  # the plain style is the default
    assert '<c s="2"><v>-0.0</v></c><c s="2"><v>1.005</v></c>' in sheet  # -0.0 is not 0.0
    assert '<row r="5"><c><v>-3</v></c>' in sheet
    assert "@SUM(A1:A2)</t></is></c><c/><c/>" in sheet  # no NaN in a sheet


def _random_table(rng: random.Random) -> tuple[list, list[list]]:
    """Runs of rows of random widths; each column of one kind or mixed, its values drawn
    from small pools so that they repeat as a jury's figures do."""
    alphabet = "aé;\"\r\n\t=+-@ '<&>.,\x00\x01\x0b\x1f\u2028\x85\ufeff€"
    pools = {
        "text": ["".join(rng.choices(alphabet, k=rng.randint(0, 5))) for _ in range(6)],
        "float": [0.0, -0.0, 1 / 3, -2.675, 0.005, NAN, INF, -INF, 1e16, 1e-7, 3.0],
        "decimal": [Decimal("1.005"), Decimal("-0"), Decimal("0"), Decimal("NaN"), Decimal("2")],
        "integer": [0, 1, -1, 7, 10**15],
        "boolean": [True, False],
        "date": [datetime.date(2026, 3, 24), timezone.make_aware(datetime.datetime(2026, 3, 24))],
    }
    pools["mixed"] = [value for pool in pools.values() for value in pool]

    def row(kinds):
        return [None if rng.random() < 0.15 else rng.choice(pools[kind]) for kind in kinds]

    header = row([rng.choice(list(pools)) for _ in range(rng.randint(0, 3))])
    rows = []
    for _ in range(rng.randint(0, 4)):
        kinds = [rng.choice(list(pools)) for _ in range(rng.choice([0, 1, 1, 2, 3, 6]))]
        rows += [row(kinds) for _ in range(rng.randint(1, 12))]
    return header, rows


def test_writers_write_random_tables_as_before():
    rng = random.Random(20260901)
    for _ in range(300):
        header, rows = _random_table(rng)

        assert csv_response("x.csv", header, rows).content == _csv_as_before(header, rows)
        sheet = _sheet(xlsx_content("x", header, rows))
        assert sheet.endswith(f"{_sheet_rows_as_before(rows)}</sheetData></worksheet>")


@pytest.mark.parametrize(
    "odd", ["", "a;b", 'a"b', "a\nb", "a\rb", "=a", "a\x00b", "a&b", "<a>", "\u2028"]
)
def test_writers_write_a_column_of_plain_texts_with_one_odd_text_as_before(odd):
    # Plain texts are written as they are, the column looked at at once: one odd text in it
    # is still made safe.
    rows = [["Défi n° 1 : eau"], ["Ministère de la Culture"], [odd], ["Déposé"]] * 2

    assert csv_response("x.csv", ["Texte"], rows).content == _csv_as_before(["Texte"], rows)
    sheet = _sheet(xlsx_content("x", ["Texte"], rows))
    assert sheet.endswith(f"{_sheet_rows_as_before(rows)}</sheetData></worksheet>")
