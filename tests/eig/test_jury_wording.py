"""The jury engine knows no kind of dossier: neither its code nor its templates speak of
défis. Each domain names its dossiers (`JuryDomain.nouns`), so that a candidate's jury reads
« candidature » where the défis' reads « défi »."""

import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# « défi », « Défis », "defi_id", "DEFI_JURY"; not « définitive », « défini ».
DEFI = re.compile(r"(?<![a-z])defi(?!n)")


def _plain(text: str) -> str:
    """Lower case, without accents: the check ignores both."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _engine_files():
    # Migrations are history: the first juries' domain key is data, not wording.
    code = (ROOT / "eig" / "jury").rglob("*.py")
    yield from sorted(path for path in code if "migrations" not in path.parts)
    yield from sorted(path for path in (ROOT / "templates" / "jury").rglob("*") if path.is_file())


def test_jury_engine_has_no_defi_wording():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _engine_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DEFI.search(_plain(line))
    ]
    assert found == []


def test_jury_wording_check_catches_each_spelling():
    for text in ("un défi", "Les DÉFIS", "defi_id", "DEFI_JURY", "Défi n° 3"):
        assert DEFI.search(_plain(text)), text
    for text in ("définitive", "défini", "le dossier", "défaut"):
        assert not DEFI.search(_plain(text)), text
