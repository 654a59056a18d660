"""The talent pool's full-text search: the stored document of an application and the
highlighting of the words that matched.

The embedded PostgreSQL of fresh machines has no `unaccent`: the accents are folded here,
in Python (`eig.text.fold`), into `ApplicationSearch.document`, which PostgreSQL turns into
a French `tsvector`; the searched words are folded the same way, so that « données » finds
« donnees » and the reverse. Pages show the original, accented texts: a word is highlighted
when its fold is one of the folded words that PostgreSQL says matched.
"""

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from html import escape  # Django's calls it, without a lazy-string wrapper per fragment

from django.utils.safestring import SafeString

from eig.text import fold

# What the search reads of an application, in this order.
SEARCHED_TEXTS = (
    "skills_main",
    "skills_secondary",
    "experience_specialty",
    "experience_entrepreneurship",
    "motivation",
)

# A word as PostgreSQL's parser cuts French texts: letters and digits; an apostrophe or a
# hyphen separates words (« l'accessibilité » is « l » and « accessibilité »).
WORD = re.compile(r"\w+")


# A page folds the same few hundred words again and again.
_fold_word = lru_cache(maxsize=50_000)(fold)


def search_document(values: Mapping[str, str] | object) -> str:
    """The folded text that the search indexes: the searched answers, one a line. `values`
    is an application or a mapping of its field names."""
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name)
    return "\n".join(fold(get(name) or "") for name in SEARCHED_TEXTS).strip()


def words(texts: Iterable[str]) -> set[str]:
    """The distinct folded words of `texts`, to ask PostgreSQL which of them match."""
    found = set()
    for text in texts:
        found.update(WORD.findall(text or ""))
    return {_fold_word(word) for word in found}


def _marked(text: str, matched: set[str]) -> str:
    """`text` escaped, each word whose fold is in `matched` inside <mark>."""
    if not matched:
        return escape(text)
    parts = []
    last = 0
    for word in WORD.finditer(text):
        if _fold_word(word.group()) in matched:
            parts.append(escape(text[last : word.start()]))
            parts.append(f"<mark>{escape(word.group())}</mark>")
            last = word.end()
    parts.append(escape(text[last:]))
    return "".join(parts)


def highlight(text: str, matched: set[str]) -> SafeString:
    """The whole `text`, escaped, the matched words marked (the dossier's page)."""
    return SafeString(_marked(text or "", matched))


def excerpt(text: str, matched: set[str], *, size: int = 240) -> SafeString:
    """About `size` characters of `text` around its first matched word (its start when
    none matched), escaped, the matched words marked, with ellipses where it is cut
    (a result's lines)."""
    text = " ".join((text or "").split())
    start = 0
    for word in WORD.finditer(text) if matched else ():
        if _fold_word(word.group()) in matched:
            start = max(0, word.start() - size // 3)
            break
    end = min(len(text), start + size)
    # Whole words only: cut at the spaces around the window.
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < end else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    cut = _marked(text[start:end], matched)
    return SafeString(f"{'… ' if start > 0 else ''}{cut}{' …' if end < len(text) else ''}")
