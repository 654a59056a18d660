from decimal import Decimal

import pytest
from django.template import Context, Template

from eig.programme.money import (
    format_euros,
    format_number,
    format_percent,
    format_quantity,
    round_money,
)

D = Decimal
# French typography: narrow no-break space between thousands, no-break space before a unit.
NNBSP = "\u202f"
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("2.345"), D("2.35")),
        (D("2.335"), D("2.34")),
        (D("-2.345"), D("-2.35")),
        (D("0.005"), D("0.01")),
        (D("0.004"), D("0.00")),
        (D("1250.025"), D("1250.03")),
        (D("999.995"), D("1000.00")),
        (D("1234567.8949"), D("1234567.89")),
        ("2.345", D("2.35")),
        (3, D("3.00")),
    ],
)
def test_round_money_rounds_halves_away_from_zero(value, expected):
    assert round_money(value) == expected


def test_round_money_always_has_two_decimals():
    assert [round_money(value).as_tuple().exponent for value in [0, D("7"), D("1.5")]] == [-2] * 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("12345.67"), f"12{NNBSP}345,67{NBSP}€"),
        (D("0"), f"0,00{NBSP}€"),
        (D("0.5"), f"0,50{NBSP}€"),
        (D("999"), f"999,00{NBSP}€"),
        (D("1000"), f"1{NNBSP}000,00{NBSP}€"),
        (D("1234567.89"), f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        (D("-1234.5"), f"-1{NNBSP}234,50{NBSP}€"),
        (D("-0.004"), f"0,00{NBSP}€"),
        (D("0.005"), f"0,01{NBSP}€"),
        (20000, f"20{NNBSP}000,00{NBSP}€"),
    ],
)
def test_format_euros_writes_french_amounts(value, expected):
    assert format_euros(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("12345.5"), f"12{NNBSP}346{NBSP}€"),
        (D("12345.49"), f"12{NNBSP}345{NBSP}€"),
        (D("-2500000"), f"-2{NNBSP}500{NNBSP}000{NBSP}€"),
        (D("0"), f"0{NBSP}€"),
    ],
)
def test_format_euros_without_cents_rounds_to_the_euro(value, expected):
    assert format_euros(value, cents=False) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (D("0.70"), f"70{NBSP}%"),
        (D("0.0600"), f"6{NBSP}%"),
        (D("0.375"), f"37,5{NBSP}%"),
        (D("0.2100"), f"21{NBSP}%"),
        (D("1"), f"100{NBSP}%"),
        (D("0"), f"0{NBSP}%"),
        (D("-0.05"), f"-5{NBSP}%"),
    ],
)
def test_format_percent_drops_useless_zeros(rate, expected):
    assert format_percent(rate) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("12.0"), "12"),
        (D("5.5"), "5,5"),
        (D("10"), "10"),
        (D("1000"), f"1{NNBSP}000"),
        (D("0"), "0"),
        (D("0.00"), "0"),
        (D("-0.5"), "-0,5"),
        (D("1234567.25"), f"1{NNBSP}234{NNBSP}567,25"),
    ],
)
def test_format_quantity_keeps_only_the_needed_decimals(value, expected):
    assert format_quantity(value) == expected


def test_format_number_rounds_to_the_asked_places():
    assert (format_number(D("1234.5"), places=0), format_number(D("1234.5"))) == (
        f"1{NNBSP}235",
        f"1{NNBSP}234,50",
    )


def _render(text, **context):
    return Template("{% load money %}" + text).render(Context(context))


def test_euros_filter_formats_amounts_and_strings_of_snapshots():
    # Convention snapshots store amounts as strings of Decimals (JSON).
    assert _render("{{ a|euros }} / {{ b|euros }}", a=D("69367.10"), b="48556.97") == (
        f"69{NNBSP}367,10{NBSP}€ / 48{NNBSP}556,97{NBSP}€"
    )


def test_euros_filter_without_cents():
    assert _render("{{ a|euros:False }}", a=D("93749.64")) == f"93{NNBSP}750{NBSP}€"


def test_money_filters_leave_missing_values_empty():
    assert _render(
        "[{{ a|euros }}][{{ b|number_fr }}][{{ c|percent }}][{{ d|euros }}]",
        a=None,
        b="",
        c=None,
    ) == ("[][][][]")


def test_number_fr_filter_takes_the_places():
    assert _render("{{ a|number_fr }} {{ a|number_fr:0 }}", a=D("-1234.5")) == (
        f"-1{NNBSP}234,50 -1{NNBSP}235"
    )


def test_percent_filter_formats_rates():
    assert _render("{{ a|percent }}", a=D("0.0600")) == f"6{NBSP}%"
