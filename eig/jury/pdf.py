"""The decision record (relevé de décision) of a deliberation, as a PDF made by WeasyPrint."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from eig.jury.domain import JuryDomain
from eig.jury.models import AbstractReview, DecisionRecord
from eig.pdf import marianne_urls

Decision = AbstractReview.Decision


def decision_record_context(domain: JuryDomain, record: DecisionRecord, *, now) -> dict:
    """What the record says: every dossier of the jury under its decision (undecided ones
    last), the counts, the jury's composition."""
    jury = record.jury
    # Each dossier's review at the furthest stage it reached (the decision is on the
    # last stage's): later stages overwrite earlier ones.
    reviews = {
        getattr(review, domain.dossier_id_field): review
        for review in domain.review_model.objects.filter(jury=jury).order_by("stage__position")
    }
    by_decision = {value: [] for value in [*Decision.values, ""]}
    for dossier in domain.dossiers(jury):
        review = reviews.get(dossier.pk)
        decision = review.decision if review else ""
        by_decision[decision].append(
            {
                "dossier": dossier,
                "holder": domain.dossier_holder(dossier),
                "review": review,
                "reason": domain.reason_label(decision, review.reason)
                if review and review.reason
                else "",
            }
        )
    sections = [
        {
            "decision": value,
            "label": domain.decision_label(value) if value else "Sans décision",
            "rows": sorted(by_decision[value], key=lambda row: str(row["dossier"]).lower()),
        }
        for value in [*Decision.values, ""]
        if value or by_decision[""]
    ]
    call = domain.jury_call(jury)
    return {
        "record": record,
        "jury": jury,
        "call": call,
        "nouns": domain.nouns,
        "holder_label": domain.holder_label,
        "promotion": getattr(call, "promotion", None),
        "sections": sections,
        "total": sum(len(rows) for rows in by_decision.values()),
        "members": jury.members.filter(withdrawn_at__isnull=True)
        .select_related("user__administration")
        .order_by("user__last_name", "user__first_name", "pk"),
        "groups": jury.groups.prefetch_related("members__user").order_by("name"),
        "rendered_at": now,
        "fonts": marianne_urls(),
    }


def decision_record_pdf(domain: JuryDomain, record: DecisionRecord, *, now) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "jury/decision_record.html", decision_record_context(domain, record, now=now)
    )
    # Tagged PDF: screen readers follow the headings and tables.
    return HTML(string=html).write_pdf(pdf_tags=True)


def decision_record_render(*, domain: JuryDomain, record_id: int, now=None) -> DecisionRecord:
    """Render the record's PDF and store it with its SHA-256 and the time it was produced.

    Idempotent: a record already rendered is left as it is, and a render retried after a
    failure replaces the file it may have left, so that each record has one file.
    """
    now = now or timezone.now()
    with transaction.atomic():
        record = (
            DecisionRecord.objects.select_for_update(of=("self",))
            .select_related("jury", "created_by")
            .get(pk=record_id)
        )
        if record.rendered_at and record.pdf:
            return record
        content = decision_record_pdf(domain, record, now=now)
        name = f"jury-{record.jury_id}-releve-v{record.version}.pdf"
        storage = record.pdf.storage
        path = record.pdf.field.generate_filename(record, name)
        if storage.exists(path):
            storage.delete(path)
        record.pdf.save(name, ContentFile(content), save=False)
        record.checksum = hashlib.sha256(content).hexdigest()
        record.rendered_at = now
        record.save(update_fields=["pdf", "checksum", "rendered_at"])
    return record
