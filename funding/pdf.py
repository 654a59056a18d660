"""The text of a convention version, as a PDF made by WeasyPrint from the content snapshot
the version stores (funding.services.versions.convention_content)."""

import hashlib
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from eig.pdf import font_configuration, marianne_urls
from eig.programme.money import format_quantity
from funding.models import ConventionVersion

_MONEY_KEYS = ("net_monthly", "gross_monthly", "employer_monthly", "total", "cofinancing")


def _decimal(value) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


def host_name(defi: dict) -> dict:
    """The administration that hosts a défi of a snapshot, for the `le` / `de` filters
    (« porté par l’Institut… »); snapshots made before articles were stored have none."""
    return {"name": defi["host"], "article": defi.get("host_article", "")}


def _date(value) -> date | None:
    return date.fromisoformat(value) if value else None


def convention_version_context(version: ConventionVersion) -> dict:
    """The snapshot turned back into numbers and dates for the template's filters."""
    content = version.content
    frame = content["frame"]
    rule = content["rule"]
    defis = []
    for defi in content["defis"]:
        lines = [
            {
                **line,
                **{key: _decimal(line[key]) for key in _MONEY_KEYS},
                "months_label": format_quantity(line["months"]),
            }
            for line in defi["lines"]
        ]
        defis.append(
            {
                **defi,
                "lines": lines,
                "total": _decimal(defi["total"]),
                "cofinancing": _decimal(defi["cofinancing"]),
                "host_differs": defi["host"] != content["administration"]["name"],
                "host_name": host_name(defi),
            }
        )
    budgetary = content["kind"] == "budgetaire"
    # A decree moves credits from programme 352 to the ministry's; other budgetary sources
    # (the PIA of promotion 3) pay without a decree, and a partnership moves no credits.
    transfer = budgetary and rule["source_programme"].startswith("352")
    year = content["promotion"]["year"]
    kind_phrase = f"de {'financement' if budgetary else 'partenariat'} {year}"
    amendment = content.get("amendment")
    if amendment:
        amendment = {
            **amendment,
            "previous_total_cost": _decimal(amendment["previous_total_cost"]),
            "previous_cofinancing": _decimal(amendment["previous_cofinancing"]),
        }
    if version.amendment:
        title = f"Avenant n° {version.amendment} à la convention {kind_phrase}"
        version_label = f"avenant n° {version.amendment} (version {version.number})"
    else:
        title = f"Convention {kind_phrase}"
        version_label = f"version {version.number}"
    return {
        "version": version,
        "content": content,
        "title": title,
        "version_label": version_label,
        "kind_phrase": kind_phrase,
        "budgetary": budgetary,
        "transfer": transfer,
        "administration_role": (
            "l'administration lauréate" if budgetary else "l'administration partenaire"
        ),
        # Article 6 (the transfer decree) exists only when there is a decree.
        "articles": {"modification": 7 if transfer else 6, "termination": 8 if transfer else 7},
        "duration": format_quantity(frame["duration_months"]),
        "frame_kind_lower": frame["kind"][:1].lower() + frame["kind"][1:],
        "frame": {
            **frame,
            "duration_months": _decimal(frame["duration_months"]),
            "start_date": _date(frame["start_date"]),
            "end_date": _date(frame["end_date"]),
        },
        "rule": {
            **rule,
            "flat_amount": _decimal(rule["flat_amount"]),
            "share": _decimal(rule["share"]),
            "months": _decimal(rule["months"]),
        },
        "bands": [
            {
                **band,
                "net_monthly": _decimal(band["net_monthly"]),
                "variable_rate": _decimal(band["variable_rate"]),
            }
            for band in content["bands"]
        ],
        "defis": defis,
        "total_cost": _decimal(content["total_cost"]),
        "cofinancing": _decimal(content["cofinancing"]),
        "remainder": _decimal(content["remainder"]),
        "amendment": amendment,
        "fonts": marianne_urls(),
    }


def convention_version_pdf(version: ConventionVersion) -> bytes:
    from weasyprint import HTML

    html = render_to_string("funding/convention_pdf.html", convention_version_context(version))
    # Tagged PDF: screen readers follow the headings and the tables.
    return HTML(string=html).write_pdf(pdf_tags=True, font_config=font_configuration())


def convention_version_render(*, version_id: int, now=None) -> ConventionVersion:
    """Render the version's PDF and store it with its SHA-256 and the time it was produced.

    Idempotent: a version already rendered is left as it is. A draft rewritten in place
    (rendered_at emptied by convention_update) gets its new file; the old one is deleted
    only then, so that the version always has a file once it had one."""
    now = now or timezone.now()
    with transaction.atomic():
        version = (
            ConventionVersion.objects.select_for_update(of=("self",))
            .select_related("convention")
            .get(pk=version_id)
        )
        if version.rendered_at and version.pdf:
            return version
        content = convention_version_pdf(version)
        storage = version.pdf.storage
        previous = version.pdf.name
        name = f"{version.convention.reference}-v{version.number}.pdf"
        path = version.pdf.field.generate_filename(version, name)
        for stale in {previous, path} - {""}:
            if storage.exists(stale):
                storage.delete(stale)
        version.pdf.save(name, ContentFile(content), save=False)
        version.checksum = hashlib.sha256(content).hexdigest()
        version.rendered_at = now
        version.save(update_fields=["pdf", "checksum", "rendered_at"])
    return version
