"""Import of the programme's public reference data (promotions 1 to 7, their administrations
and défis) from the JSON files in `shared/reference/eig/`.

The first half holds small pure functions that turn one record of the files into model
fields; they are tested on their own. `reference_load` at the end writes them, idempotently:
each object is found by a stable natural key (promotion code, call slug, administration
name, défi slug), created when absent and updated only where the file says something else.
"""

import ast
import datetime
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from eig.history.services import record_many
from eig.programme.models import Administration, FaqEntry, FundingRule, Promotion, Specialty
from eig.programme.presets import funding_presets, promotion_apply_funding_preset
from projects.models import Defi, DefiPosition, ProjectCall

PARIS = ZoneInfo("Europe/Paris")
Kind = Administration.Kind

IMPORT_NOTE = "Import du catalogue public"
MAX_POSITIONS = 3

# ---------------------------------------------------------------------------------------
# Parsing helpers
# ---------------------------------------------------------------------------------------


def parse_list(value) -> list[str]:
    """A list field of the files, whatever its spelling: a JSON list, a Python literal kept
    as a string ("['Développement', 'Design']", as in exports made with pandas) or the
    CSV's "Développement|Design". Never evaluates anything but literals."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        items = None
        if text[0] in "[(":
            try:
                items = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                items = None
            if not isinstance(items, list | tuple):
                inner = text[1:-1] if text[-1] in ")]" else text[1:]
                items = re.split(r"\s*[|,]\s*", inner)
        else:
            items = re.split(r"\s*\|\s*", text)
    elif isinstance(value, list | tuple):
        items = value
    else:
        items = [value]
    return [str(item).strip().strip("'\"").strip() for item in items if str(item).strip()]


def _fold(text: str) -> str:
    """Lower-case, typographic apostrophes made straight, spaces collapsed: the key under
    which names are compared."""
    return re.sub(r"\s+", " ", text.replace("’", "'").casefold()).strip()


def clean_name(value: str) -> str:
    """An administration's name without the leftovers of the forms it was copied from
    (a trailing comma, a "Administration de rattachement :" label)."""
    name = re.sub(r"^\s*administration de rattachement\s*:\s*", "", value or "", flags=re.I)
    return re.sub(r"\s+", " ", name).strip(" ,;")


def clean_town(value: str | None) -> str:
    """ "75008 Paris", "Paris (75007)" → "Paris"; "Bordeaux (33) | Champs-sur-Marne (77)" →
    "Bordeaux, Champs-sur-Marne". Postal and département codes go, the towns stay."""
    towns = []
    for part in re.split(r"\s*[|+]\s*", value or ""):
        town = re.sub(r"\(\s*\d{2,5}\s*\)", "", part)
        town = re.sub(r"^\s*\d{5}\s+|\s+\d{5}\s*$", "", town)
        town = re.sub(r"\s+", " ", town).strip(" ,")
        if town and town not in towns:
            towns.append(town)
    return ", ".join(towns)


_url_validator = URLValidator(schemes=["http", "https"])


def clean_url(value: str | None, *, code_host: bool = False) -> str:
    """The URL when it is valid, else "". With `code_host`, a URL whose host has no dot
    ("https://entrepreneur-interet-general/api-ccomptes") is read as the GitHub path it was
    on the programme's first site, which prefixed source-code paths with github.com."""
    url = (value or "").strip()
    if not url:
        return ""
    if code_host:
        match = re.match(r"^https?://([^/.]+)(/.*)?$", url)
        if match:
            url = f"https://github.com/{match.group(1)}{match.group(2) or ''}"
    try:
        _url_validator(url)
    except ValidationError:
        return ""
    return url


# Which kind of administration a name suggests. A heuristic on the first words of the name,
# tried in this order (a "Direction régionale" is a local service before being a
# "Direction"); staff correct the result in the admin, and a re-import never overwrites it.
KIND_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        Kind.DECENTRALISED,
        (
            "préfecture",
            "direction régionale",
            "direction départementale",
            "direction interdépartementale",
            "dreal",
            "driee",
            "direccte",
            "académie",
            "rectorat",
        ),
    ),
    (Kind.HEALTH, ("chu", "centre hospitalier", "assistance publique", "hôpital", "hôpitaux")),
    (
        Kind.INDEPENDENT_AUTHORITY,
        ("autorité", "haute autorité", "commission nationale", "cnil", "défenseur"),
    ),
    (
        Kind.LOCAL_AUTHORITY,
        ("conseil départemental", "conseil régional", "région", "ville de", "métropole"),
    ),
    (
        Kind.OPERATOR,
        (
            "agence",
            "institut",
            "centre national",
            "office",
            "caisse nationale",
            "établissement public",
            "etablissement public",
            "bibliothèque nationale",
            "muséum",
            "cerema",
        ),
    ),
    (
        Kind.MINISTRY,
        (
            "ministère",
            "secrétariat général",
            "direction",
            "délégation",
            "commissariat général",
            "services du premier ministre",
        ),
    ),
)
_KIND_PATTERNS = [
    (kind, re.compile(r"^(?:" + "|".join(re.escape(p) for p in prefixes) + r")\b"))
    for kind, prefixes in KIND_RULES
]


def guess_kind(name: str) -> str:
    folded = _fold(name)
    for kind, pattern in _KIND_PATTERNS:
        if pattern.match(folded):
            return kind
    return Kind.OTHER


# The expertises of the public site, as the programme's métiers; the others (coaching,
# operations) are no EIG position.
SPECIALTY_BY_PROFILE = {
    "développement": Specialty.DEVELOPMENT,
    "data science": Specialty.DATA_SCIENCE,
    "data engineering": Specialty.DATA_ENGINEERING,
    "design": Specialty.DESIGN,
    "juriste": Specialty.DIGITAL_LAW,
    "géomatique": Specialty.GEOMATICS,
    "direction de produit": Specialty.PRODUCT,
    "direction technique": Specialty.TECHNICAL,
    "direction de l'impact": Specialty.IMPACT,
}


def specialties_from_profiles(profiles) -> list[str]:
    """The défi's positions: its known expertises as specialties, in the file's order,
    each once, three at most."""
    specialties = []
    for profile in parse_list(profiles):
        specialty = SPECIALTY_BY_PROFILE.get(_fold(profile))
        if specialty and specialty not in specialties:
            specialties.append(specialty)
    return specialties[:MAX_POSITIONS]


def promotion_code(value) -> str:
    """1 → "1", "DIG" → "dig"."""
    return str(value).strip().lower()


_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?")


def parse_date(text) -> datetime.date | None:
    """The ISO date a text starts with ("2021-09-13 (EIG Link: …)"), else None: month
    names ("janvier 2019") are not precise enough to be a date."""
    match = _ISO.match(str(text or ""))
    if not match:
        return None
    try:
        return datetime.date(*(int(g) for g in match.groups()[:3]))
    except ValueError:
        return None


def parse_paris_datetime(text, *, default_time: datetime.time) -> datetime.datetime | None:
    """ "2020-02-28 17:00" as an aware instant in Paris; a bare date takes `default_time`."""
    day = parse_date(text)
    if day is None:
        return None
    match = _ISO.match(str(text))
    hour, minute = match.group(4), match.group(5)
    at = datetime.time(int(hour), int(minute)) if hour is not None else default_time
    return datetime.datetime.combine(day, at, tzinfo=PARIS)


def parse_budget_envelope(text: str | None) -> Decimal | None:
    """The envelope in a "financement" sentence: "enveloppe 800 000 €", "1,5 M€"."""
    text = (text or "").replace("\u202f", " ").replace("\xa0", " ")
    match = re.search(r"enveloppe\s+(\d{1,3}(?: \d{3})+|\d+)\s*€", text)
    if match:
        return Decimal(match.group(1).replace(" ", ""))
    match = re.search(r"(\d+(?:,\d+)?)\s*M€", text)
    if match:
        return Decimal(match.group(1).replace(",", ".")) * 1_000_000
    return None


def _number(value) -> str:
    return f"{value:,}".replace(",", "\u202f") if isinstance(value, int) else str(value)


def promotion_fields(record: dict) -> dict:
    """Promotion fields from one record of promotions.json. Mission dates are set only when
    the file gives a day."""
    code = promotion_code(record["promotion"])
    number = int(code) if code.isdigit() else None
    calendar = record.get("calendar") or []
    mission_start = parse_date(record.get("start"))
    mission_end = None
    for step in calendar:
        label = _fold(step.get("step", ""))
        if mission_start is None and label.startswith("arrivée des eig"):
            mission_start = parse_date(step.get("date"))
        if label.startswith("fin du programme"):
            mission_end = parse_date(step.get("date"))
    if mission_start and mission_end and mission_end <= mission_start:
        mission_end = None

    facts = []
    if record.get("nb_defis"):
        sentence = f"{_number(record['nb_defis'])} défis retenus"
        if record.get("nb_eig"):
            sentence = f"{_number(record['nb_eig'])} EIG sur {sentence}"
        if record.get("nb_defis_proposes"):
            sentence += f" parmi {_number(record['nb_defis_proposes'])} proposés"
        facts.append(sentence + ".")
    if record.get("nb_candidats"):
        sentence = f"{_number(record['nb_candidats'])} candidatures"
        if record.get("nb_auditionnes"):
            sentence += f", {_number(record['nb_auditionnes'])} personnes auditionnées"
        facts.append(sentence + ".")
    labels = (
        ("start", "Arrivée des EIG"),
        ("salaire", "Rémunération"),
        ("contrat", "Contrat"),
        ("financement", "Financement"),
        ("note", "À noter"),
        ("note_2026", "Depuis"),
    )
    facts += [f"{label} : {record[key]}." for key, label in labels if record.get(key)]
    return {
        "code": code,
        "number": number,
        "name": f"Promotion {number}" if number else record.get("label") or code.upper(),
        "year": int(record["year"]),
        "mission_start": mission_start,
        "mission_end": mission_end,
        "budget_envelope": parse_budget_envelope(record.get("financement")),
        "description": "\n".join(facts),
    }


def _is_call_for_projects(step_label: str) -> bool:
    label = _fold(step_label)
    return label.startswith(("aap", "appel à projets"))


def call_fields(record: dict, *, deadline: str | None = None) -> dict:
    """The promotion's historical call for projects.

    Dates come from the calendar of promotions.json, or the deadline of its application
    form in forms.json. Where the files say nothing, the span is RECONSTRUCTED, and the
    description says so: six weeks before a known deadline; for promotions whose missions
    started in January, May–June of the year before (as the third promotion's call ran);
    otherwise mid-January to mid-March of the promotion's year (as the calls of promotions
    4 to 6 did), before missions start.
    """
    code = promotion_code(record["promotion"])
    year = int(record["year"])
    opens_at = closes_at = None
    for step in record.get("calendar") or []:
        if _is_call_for_projects(step.get("step", "")):
            opens_at = parse_paris_datetime(step.get("from"), default_time=datetime.time(0, 0))
            closes_at = parse_paris_datetime(step.get("until"), default_time=datetime.time(23, 59))
            break
    if closes_at is None and deadline:
        closes_at = parse_paris_datetime(deadline, default_time=datetime.time(23, 59))

    reconstructed_open = opens_at is None
    reconstructed_close = closes_at is None
    if closes_at is None:
        if _fold(record.get("start") or "").startswith(("janvier", "mi-janvier")):
            closes_at = datetime.datetime(year - 1, 6, 30, 17, 0, tzinfo=PARIS)
        else:
            closes_at = datetime.datetime(year, 3, 15, 17, 0, tzinfo=PARIS)
    if opens_at is None:
        opens_at = datetime.datetime.combine(
            closes_at.date() - datetime.timedelta(weeks=6), datetime.time(0, 0), tzinfo=PARIS
        )

    if reconstructed_open and reconstructed_close:
        dates_note = (
            "Le calendrier de cet appel n'a pas été publié : ses dates sont reconstituées "
            "à titre indicatif."
        )
    elif reconstructed_open:
        dates_note = (
            "La date de clôture est celle des documents publics du programme ; la date "
            "d'ouverture est reconstituée à titre indicatif."
        )
    else:
        dates_note = "Dates issues des documents publics du programme."
    label = "DIG" if code == "dig" else f"EIG {code}"
    return {
        "slug": "aap-dig" if code == "dig" else f"aap-eig-{code}",
        "title": f"Appel à projets {label}",
        "opens_at": opens_at,
        "closes_at": closes_at,
        "description": (
            f"Appel à projets historique de la promotion {record.get('label') or label}. "
            + dates_note
        ),
    }


def administration_records(records: list[dict]) -> dict[str, dict]:
    """Administration fields by cleaned name. Names that differ only by leftovers
    ("…(DINUM)," and "…(DINUM)") are one administration."""
    merged: dict[str, dict] = {}
    for record in records:
        name = clean_name(record["name"])
        if not name:
            continue
        entry = merged.setdefault(name, {"name": name, "town": "", "website": ""})
        if not entry["town"]:
            towns = parse_list(record.get("towns"))
            entry["town"] = clean_town(towns[0]) if towns else ""
        if not entry["website"]:
            entry["website"] = next(
                (u for u in map(clean_url, parse_list(record.get("websites"))) if u), ""
            )
    return merged


def defi_slug(record: dict) -> str:
    """An ASCII slug ("écobalyse" → "ecobalyse") so that the catalogue's URLs stay plain."""
    return slugify(record.get("slug") or record["title"])[:120]


def defi_fields(record: dict) -> dict:
    """Catalogue fields of one défi of defis.json (relations and state excepted)."""
    return {
        "slug": defi_slug(record),
        "title": (record.get("title") or "").strip()[:120],
        "summary": (record.get("summary") or "").strip(),
        "town": clean_town(record.get("town"))[:120],
        "public_body": markdown_from_hugo(record.get("body_markdown") or ""),
        "website": clean_url(record.get("website"))[:300],
        "source_code": clean_url(record.get("source_code"), code_host=True)[:300],
        "themes": ", ".join(parse_list(record.get("themes")))[:300],
    }


def defi_specialties(record: dict) -> list[str]:
    profiles = record.get("profiles")
    if not parse_list(profiles):
        profiles = record.get("expertises")
    return specialties_from_profiles(profiles)


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------

REQUIRED_FILES = ("promotions.json", "administrations.json", "defis.json", "forms.json")


@dataclass
class ReferenceData:
    promotions: list[dict]
    administrations: list[dict]
    defis: list[dict]
    deadlines: dict[str, str] = field(default_factory=dict)
    faq: list[dict] = field(default_factory=list)


def reference_read(path: Path) -> ReferenceData:
    """Read the files; raises FileNotFoundError or ValueError (bad JSON)."""
    data = {name: json.loads((path / name).read_text(encoding="utf-8")) for name in REQUIRED_FILES}
    deadlines = {}
    for form in data["forms.json"].get("defi_application_forms", []):
        code = promotion_code(form.get("promotion", ""))
        if code.isdigit() and parse_date(form.get("deadline")):
            deadlines[code] = form["deadline"]
    faq = path / "faq.json"
    return ReferenceData(
        promotions=data["promotions.json"],
        administrations=data["administrations.json"],
        defis=data["defis.json"],
        deadlines=deadlines,
        faq=json.loads(faq.read_text(encoding="utf-8")) if faq.is_file() else [],
    )


def faq_answer_html(record: dict) -> str:
    """The answer as HTML: the older sites kept HTML, the current one Markdown."""
    if record.get("answer_html"):
        return record["answer_html"]
    import markdown

    return markdown.markdown(markdown_from_hugo(record.get("answer_markdown") or ""))


def faq_latest(records: list[dict]) -> list[dict]:
    """The questions of the FAQ as the programme last published it, for each audience: the
    file keeps three editions of the site (« EIG5 (2021), site v1 » … « EIG7 … »), which
    repeat the same questions in other words."""

    def edition(record) -> int:
        match = re.search(r"EIG\s*(\d+)", record.get("era", ""))
        return int(match.group(1)) if match else 0

    latest = {}
    for record in records:
        latest[record["audience"]] = max(latest.get(record["audience"], 0), edition(record))
    return [record for record in records if edition(record) == latest[record["audience"]]]


class Tally(Counter):
    """created / updated / unchanged counts of one kind of object."""

    def __str__(self):
        return (
            f"{self['created']} créé(s), {self['updated']} mis à jour, "
            f"{self['unchanged']} inchangé(s)"
        )


def _changed(instance, values: dict) -> list[str]:
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


def _upsert(model, *, lookup: dict, values: dict, tally: Tally, keep: tuple[str, ...] = ()):
    """Create the object, or update the fields that differ; fields in `keep` are only set
    at creation."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        tally["created"] += 1
        return model.objects.create(**lookup, **values)
    changed = _changed(instance, {k: v for k, v in values.items() if k not in keep})
    if changed:
        instance.save(update_fields=changed)
        tally["updated"] += 1
    else:
        tally["unchanged"] += 1
    return instance


@transaction.atomic
def reference_load(data: ReferenceData) -> dict[str, Tally]:
    """Load promotions, administrations, historical calls and selected défis.

    Side effects: rows written in one transaction; a history event "" → selected for each
    défi created (none for défis already there). Returns counts per kind.
    """
    tallies = {
        kind: Tally()
        for kind in (
            "promotions",
            "règles de financement",
            "appels",
            "administrations",
            "défis",
            "profils",
            "questions fréquentes",
        )
    }

    promotions, calls = {}, {}
    for record in data.promotions:
        fields = promotion_fields(record)
        code = fields.pop("code")
        promotions[code] = _upsert(
            Promotion, lookup={"code": code}, values=fields, tally=tallies["promotions"]
        )
        fields = call_fields(record, deadline=data.deadlines.get(code))
        slug = fields.pop("slug")
        calls[code] = _upsert(
            ProjectCall,
            lookup={"slug": slug},
            values={"promotion": promotions[code], **fields},
            tally=tallies["appels"],
        )

    # Funding rules: presets for the promotions that have none; staff edits are kept.
    for code, promotion in promotions.items():
        if (
            code in funding_presets()
            and not FundingRule.objects.filter(promotion=promotion).exists()
        ):
            promotion_apply_funding_preset(promotion=promotion, key=code)
            tallies["règles de financement"]["created"] += 1
        elif code in funding_presets():
            tallies["règles de financement"]["unchanged"] += 1

    administrations = {}
    for name, fields in administration_records(data.administrations).items():
        fields = {**fields, "kind": guess_kind(name)}
        administrations[name] = _upsert(
            Administration,
            lookup={"name": fields.pop("name")},
            values=fields,
            tally=tallies["administrations"],
            keep=("kind",),
        )
    # A défi may name an administration that the derived file left out.
    for record in data.defis:
        name = clean_name(record["administration"])
        if name not in administrations:
            administrations[name] = _upsert(
                Administration,
                lookup={"name": name},
                values={"kind": guess_kind(name)},
                tally=tallies["administrations"],
                keep=("kind",),
            )

    _load_defis(data.defis, calls=calls, administrations=administrations, tallies=tallies)
    audiences = set(FaqEntry.Audience.values)
    for position, record in enumerate(faq_latest(data.faq), start=1):
        if record["audience"] not in audiences:
            continue
        _upsert(
            FaqEntry,
            lookup={"audience": record["audience"], "question": record["question"][:300]},
            values={
                "answer_html": faq_answer_html(record)[:10_000],
                "position": position,
                "source": record.get("source", "")[:300],
            },
            tally=tallies["questions fréquentes"],
            # Staff may have reworded an answer or moved it: the import adds, never undoes.
            keep=("answer_html", "position"),
        )
    return tallies


def _load_defis(records, *, calls, administrations, tallies) -> None:
    wanted = {}
    for record in records:
        fields = defi_fields(record)
        fields["call_id"] = calls[promotion_code(record["promotion"])].pk
        fields["administration_id"] = administrations[clean_name(record["administration"])].pk
        wanted[fields["slug"]] = (fields, defi_specialties(record))

    existing = {
        defi.slug: defi
        for defi in Defi.objects.filter(slug__in=wanted).prefetch_related("positions")
    }
    to_create, to_update, update_fields = [], [], set()
    now = timezone.now()
    for slug, (fields, _) in wanted.items():
        defi = existing.get(slug)
        if defi is None:
            to_create.append(Defi(state=Defi.State.SELECTED, **fields))
            continue
        changed = _changed(defi, fields)
        if changed:
            defi.updated_at = now
            to_update.append(defi)
            update_fields.update(changed)
        else:
            tallies["défis"]["unchanged"] += 1

    created = Defi.objects.bulk_create(to_create)
    if to_update:
        Defi.objects.bulk_update(to_update, sorted(update_fields | {"updated_at"}))
    tallies["défis"]["created"] += len(created)
    tallies["défis"]["updated"] += len(to_update)
    record_many(
        created,
        action=Defi.Action.IMPORTED,
        actor=None,
        to_state=Defi.State.SELECTED,
        note=IMPORT_NOTE,
    )

    # Positions are replaced where they differ from the file.
    stale, new_positions = [], []
    for defi in [*created, *existing.values()]:
        specialties = wanted[defi.slug][1]
        current = (
            [p.specialty for p in sorted(defi.positions.all(), key=lambda p: p.rank)]
            if defi.slug in existing
            else []
        )
        if current == specialties:
            tallies["profils"]["unchanged"] += len(current)
            continue
        if current:
            stale.append(defi.pk)
            tallies["profils"]["updated"] += len(specialties)
        else:
            tallies["profils"]["created"] += len(specialties)
        new_positions += [
            DefiPosition(defi=defi, rank=rank, specialty=specialty)
            for rank, specialty in enumerate(specialties, start=1)
        ]
    DefiPosition.objects.filter(defi_id__in=stale).delete()
    DefiPosition.objects.bulk_create(new_positions)


_ARROW_LINK = re.compile(r'\{\{<\s*arrow-link\s+url="([^"]+)"\s+title="([^"]+)"[^>]*>\}\}')
_DAILYMOTION = re.compile(r'\{\{<\s*dailymotion\s+(\w+)\s+"([^"]*)"\s*>\}\}')
_SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}", re.S)


def markdown_from_hugo(text: str) -> str:
    """The site's Markdown without its Hugo shortcodes: link buttons become Markdown links,
    video embeds become links to the video (nothing is loaded from another site), and any
    other shortcode is dropped."""
    text = _ARROW_LINK.sub(lambda m: f"[{m.group(2)}]({m.group(1)})", text)
    text = _DAILYMOTION.sub(
        lambda m: (
            f"[{m.group(2).strip() or 'Vidéo'}](https://www.dailymotion.com/video/{m.group(1)})"
        ),
        text,
    )
    return _SHORTCODE.sub("", text).strip()
