"""The submitted versions of a défi: what jurors read, kept at each submission, and what
changed from one to the next.

A snapshot is plain JSON (section key, title, text), so that a version stays readable
whatever later becomes of the form's fields; the diff is computed on words with difflib and
returned as segments that the template escapes like any text.
"""

import difflib
import hashlib
import re

from projects.sections import SECTIONS, section_field_values

# An unchanged stretch longer than this is shortened around the changes.
CONTEXT_CHARS = 80
_TOKENS = re.compile(r"\s+|[^\s]+")
_SPACE = re.compile(r"\s")


def _field_lines(defi, section) -> list[str]:
    # Works on historical models too (the data migration snapshots existing défis).
    return [
        f"{label} : {shown or 'non renseigné'}"
        for label, shown in section_field_values(defi, section)
    ]


def _position_lines(defi) -> list[str]:
    lines = []
    for position in defi.positions.order_by("rank"):
        specialty = dict(position._meta.get_field("specialty").flatchoices).get(
            position.specialty, position.specialty
        )
        lines += [
            f"EIG {position.rank} : {specialty}",
            f"Missions : {position.missions or 'non renseigné'}",
            f"Compétences recherchées : {position.skills or 'non renseigné'}",
        ]
    return lines or ["Aucun profil renseigné."]


def _pitch_deck_line(defi) -> str:
    """The attachment by its content's fingerprint: replacing it is a change, its name is
    not (the storage renames files)."""
    if not defi.pitch_deck:
        return "Aucune présentation jointe."
    digest = hashlib.sha256()
    try:
        with defi.pitch_deck.open("rb") as handle:
            for chunk in iter(lambda: handle.read(64 * 1024), b""):
                digest.update(chunk)
    except OSError:
        return f"Présentation jointe ({defi.pitch_deck.name})."
    return f"Présentation jointe (empreinte {digest.hexdigest()[:12]})."


def defi_snapshot(defi) -> dict:
    """What a juror reads of the défi, section by section, as JSON."""
    sections = []
    for section in SECTIONS:
        if section.special == "positions":
            lines = _position_lines(defi)
        elif section.special == "pitch_deck":
            lines = [_pitch_deck_line(defi)]
        else:
            lines = _field_lines(defi, section)
        sections.append({"key": section.key, "title": section.title, "text": "\n".join(lines)})
    return {"sections": sections}


def _shorten(text: str, *, first: bool, last: bool) -> str:
    """An unchanged stretch, cut in its middle (or at its outer end) when long, at spaces
    so that no word is cut and the spaces around the changes stay."""
    if len(text) <= 3 * CONTEXT_CHARS:
        return text
    head = tail = ""
    if not first:
        head = text[:CONTEXT_CHARS]
        space = max(head.rfind(" "), head.rfind("\n"))
        head = head[: space + 1] if space > 0 else head
    if not last:
        tail = text[-CONTEXT_CHARS:]
        space = _SPACE.search(tail)
        tail = tail[space.start() :] if space else tail
    return f"{head}[…]{tail}"


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, text) segments from `old` to `new`, word by word: kind is "equal", "delete"
    or "insert"."""
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    segments = []
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            text = "".join(old_tokens[i1:i2])
            segments.append(
                ("equal", _shorten(text, first=index == 0, last=index == len(opcodes) - 1))
            )
            continue
        if tag in ("delete", "replace"):
            segments.append(("delete", "".join(old_tokens[i1:i2])))
        if tag in ("insert", "replace"):
            segments.append(("insert", "".join(new_tokens[j1:j2])))
    return segments


def version_changes(old: dict | None, new: dict) -> list[dict]:
    """The sections that differ between two snapshots, in the form's order, each with its
    title and its diff segments. With no `old` (not kept), every section is listed with
    its new text."""
    before = {section["key"]: section for section in (old or {}).get("sections", [])}
    changes = []
    for section in new.get("sections", []):
        previous = before.get(section["key"], {}).get("text", "")
        if old is not None and previous == section["text"]:
            continue
        changes.append(
            {
                "key": section["key"],
                "title": section["title"],
                "segments": text_diff(previous, section["text"]),
            }
        )
    return changes
