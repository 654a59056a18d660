"""French ways of writing numbers that are not amounts: ordinals and file sizes.

Django's own helpers do not fit: `filesizeformat` says « 10,0 Mio » under the French
locale, while every help text of the platform (and French usage) says « 10 Mo »; and no
filter writes « 1er ».
"""

from decimal import Decimal

from eig.programme.money import BEFORE_UNIT, format_number

UNITS = ["Ko", "Mo", "Go"]


def ordinal_suffix(number: int, *, feminine: bool = False) -> str:
    """« er » or « re » after 1, « e » after any other rank (« 1er », « 1re », « 2e »)."""
    if int(number) == 1:
        return "re" if feminine else "er"
    return "e"


def format_ordinal(number: int, *, feminine: bool = False) -> str:
    """« 1er », « 1re », « 2e », « 21e »: plain text, for CSV cells, mails and messages."""
    return f"{int(number)}{ordinal_suffix(number, feminine=feminine)}"


def format_file_size(size: int) -> str:
    """« 512 octets », « 300,0 Ko », « 10,0 Mo », « 1,5 Mo »: units of 1 024, as the upload
    limits are counted, with one decimal as Django's own `filesizeformat` writes it."""
    size = int(size)
    if size < 1024:
        return f"{size}{BEFORE_UNIT}octet{'s' if size > 1 else ''}"
    value = Decimal(size)
    for unit in UNITS:
        value /= 1024
        if value < 1024 or unit == UNITS[-1]:
            break
    return f"{format_number(value, places=1)}{BEFORE_UNIT}{unit}"
