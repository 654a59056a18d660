"""Money: amounts are `Decimal` euros, rounded to the cent here and nowhere else, and
written the French way (« 12 345,67 € »)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
# French typography: a narrow no-break space between thousands, a no-break space before €.
THOUSANDS = "\u202f"
BEFORE_UNIT = "\u00a0"


def round_money(value) -> Decimal:
    """Round to the cent, halves away from zero as public accounting does (0,005 → 0,01).

    Every amount the platform states goes through here once: each stated amount is computed
    from the stated amounts before it, so that a reader who redoes the sums finds them."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_number(value, *, places: int = 2) -> str:
    """« 12 345,67 »: French separators; `places` digits after the comma."""
    quantum = Decimal(1).scaleb(-places)
    number = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = THOUSANDS.join(groups) or "0"
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


def format_euros(value, *, cents: bool = True) -> str:
    """« 12 345,67 € », or « 12 346 € » without cents."""
    return f"{format_number(value, places=2 if cents else 0)}{BEFORE_UNIT}€"


def format_percent(rate) -> str:
    """0,0600 → « 6 % », 0,375 → « 37,5 % »."""
    return f"{format_quantity(Decimal(rate) * 100)}{BEFORE_UNIT}%"


def format_quantity(value) -> str:
    """A count that may have a fraction, without useless zeros: 12,0 → « 12 », 5,5 → « 5,5 »."""
    number = Decimal(value).normalize()
    places = max(0, -number.as_tuple().exponent)
    return format_number(number, places=places)
