"""Comparing French texts as people read them."""

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case and without accents, ligatures opened: « Œuvre Hélène » → « oeuvre helene ».
    The key under which names and words are compared and searched, in Python and in the
    stored search documents alike (the embedded PostgreSQL has no `unaccent`)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return (
        stripped.replace("œ", "oe")
        .replace("Œ", "oe")
        .replace("æ", "ae")
        .replace("Æ", "ae")
        .casefold()
    )
