"""French ways of writing what is not an amount: ordinals, file sizes, and the names of
administrations with their article (« du ministère de la Culture »).

Django's own helpers do not fit: `filesizeformat` says « 10,0 Mio » under the French
locale, while every help text of the platform (and French usage) says « 10 Mo »; and no
filter writes « 1er ».
"""

import re
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


# Administrations: the article their name takes, and the name after « de », « à » or at the
# head of a sentence. The article is stored on `Administration.article` (staff correct it in
# the admin); `guess_article` only proposes it from the name, for new rows and for names
# that come from elsewhere (a snapshot, a reference file).

LE, LA, ELIDED, LES, NO_ARTICLE = "le", "la", "l'", "les", "aucun"
APOSTROPHE = "’"


# First word of the name, lowercased (a hyphen ends it: « Haut-commissariat » → « haut »).
def _words(text: str) -> set[str]:
    return set(text.split())


_FIRST_WORD = {
    LE: _words(
        """ministère secrétariat commissariat conseil centre service pôle programme groupement
        gip département bureau cabinet comité musée muséum tribunal conservatoire fonds parc
        laboratoire syndicat rectorat sénat haut consulat palais campus réseau collège lycée
        défenseur médiateur grand port théâtre château domaine cnes cnrs cerema shom"""
    ),
    LA: _words(
        """direction délégation caisse cour haute préfecture sous région mairie ville métropole
        commune communauté collectivité bibliothèque brigade mission présidence chambre
        fondation compagnie gendarmerie police marine maison cité plateforme banque fédération
        dinum dgfip cnam cnaf cnil cnav msa sncf ratp"""
    ),
    LES: _words(
        """archives services hospices hôpitaux musées affaires ministères éditions armées
        douanes"""
    ),
    # Names used without an article, some of them starting with a vowel (« d’Etalab »).
    NO_ARTICLE: {"france", "etalab", "bpifrance"},
}
# Words starting with a mute h take the elision like a vowel (« l’hôpital »); « haut »,
# « haute » have an aspirated h and keep « le », « la ».
_MUTE_H = ("hôpital", "hôtel", "habitat", "hébergement", "histoire", "homologation", "hospice")
_VOWELS = "aeiouyàâäéèêëîïôöùûüœæ"
# Common nouns that French typography lowercases after an article (« le ministère de la
# Culture »), whereas a name written alone keeps its capital (« Ministère de la Culture »).
_LOWERCASE_AFTER_ARTICLE = {"ministère", "ministères"}


def _first_word(name: str) -> str:
    return re.split(r"[\s,;:()’'–—-]+", name.strip(), maxsplit=1)[0]


def guess_article(name: str) -> str:
    """The article a name most likely takes: « le » for « Ministère… », « Cerema », « la »
    for « Direction… », « DINUM », « l' » before a vowel or mute h (« Agence… », « INSEE »),
    « les » for « Archives nationales », « aucun » for « Pôle emploi » or a word it does not
    know (a proper name). Staff correct the guess in the admin."""
    name = (name or "").strip()
    if not name:
        return NO_ARTICLE
    lowered = name.lower()
    first = _first_word(lowered)
    if lowered.startswith("pôle emploi") or first in _FIRST_WORD[NO_ARTICLE]:
        return NO_ARTICLE
    for article in (LES, LA, LE):
        if first in _FIRST_WORD[article]:
            return article
    if first[:1] in _VOWELS or first.startswith(_MUTE_H):
        return ELIDED
    original = _first_word(name)
    if len(original) >= 2 and sum(c.isupper() for c in original) >= 2:
        # An acronym: « DGFiP », « DITP », « DREES » are directions or delegations.
        return LA if original.startswith("D") else LE
    return NO_ARTICLE


def _name_and_article(administration) -> tuple[str, str]:
    """An `Administration`, a snapshot dict ({"name", "article"}) or a bare name."""
    if isinstance(administration, dict):
        name, article = administration.get("name", ""), administration.get("article", "")
    elif hasattr(administration, "name"):
        name, article = administration.name, getattr(administration, "article", "")
    else:
        name, article = str(administration or ""), ""
    name = str(name or "").strip()
    return name, article or guess_article(name)


def _after_article(name: str) -> str:
    first = _first_word(name)
    if first.lower() in _LOWERCASE_AFTER_ARTICLE:
        return first.lower() + name[len(first) :]
    return name


def the_name(administration) -> str:
    """« le ministère de la Culture », « la DINUM », « l’INSEE », « les Archives
    nationales », « Pôle emploi »: the subject or object of a sentence (`capfirst` it at the
    head of one)."""
    name, article = _name_and_article(administration)
    if not name:
        return ""
    if article == ELIDED:
        return f"l{APOSTROPHE}{name}"
    if article in (LE, LA, LES):
        return f"{article} {_after_article(name)}"
    return name


def of_name(administration) -> str:
    """« du ministère de la Culture », « de la DINUM », « de l’INSEE », « des Archives
    nationales », « de Pôle emploi »: after « membre », « conventions », « signataires »."""
    name, article = _name_and_article(administration)
    if not name:
        return ""
    if article == LE:
        return f"du {_after_article(name)}"
    if article == LES:
        return f"des {_after_article(name)}"
    if article == ELIDED:
        return f"de l{APOSTROPHE}{name}"
    if article == LA:
        return f"de la {_after_article(name)}"
    if name[:1].lower() in _VOWELS or name.lower().startswith(_MUTE_H):
        return f"d{APOSTROPHE}{name}"
    return f"de {name}"


def to_name(administration) -> str:
    """« au ministère de la Culture », « à la DINUM », « à l’INSEE », « aux Archives
    nationales », « à Pôle emploi »: after « rattachement », « rattaché·e »."""
    name, article = _name_and_article(administration)
    if not name:
        return ""
    if article == LE:
        return f"au {_after_article(name)}"
    if article == LES:
        return f"aux {_after_article(name)}"
    return f"à {the_name(administration)}"
