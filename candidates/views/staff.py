"""The staff's page of one application, whatever its call and its state once handed in
(submitted, withdrawn, pre-selected, decided…), and its files. The jury's staff screens and
the admin link here. Every opening and every file taken is logged
(`application_access_record`), in the same log as the talent pool's readings."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import FileResponse, Http404
from django.shortcuts import render

from candidates import services
from candidates.jury import application_jury_figures
from candidates.models import Application, PoolAccess
from candidates.sections import SECTIONS
from candidates.selectors import (
    application_possible_duplicates,
    get_application_for_staff,
    pool_accesses,
)
from candidates.services import JURY_STATES
from eig.history.selectors import history_for

# The files of an application as their address names them: (field, what the log says, the
# link's words).
DOCUMENTS = {
    "cv": ("cv", PoolAccess.Kind.CV, "Ouvrir le CV"),
    "cv-anonymise": ("cv_anonymised", PoolAccess.Kind.CV_ANONYMISED, "Ouvrir le CV anonymisé"),
    "portfolio": ("portfolio", PoolAccess.Kind.PORTFOLIO, "Ouvrir le portfolio"),
}
DOCUMENT_OF_FIELD = {field: document for document, (field, *_rest) in DOCUMENTS.items()}


def _answer(application: Application, name: str) -> dict:
    """One answer as the candidate gave it, with how the page prints it: `document` (a file,
    served through `staff_application_document`), `link`, `date`, or `text`."""
    field = Application._meta.get_field(name)
    value = getattr(application, name)
    answer = {"label": field.verbose_name, "name": name}
    if name in DOCUMENT_OF_FIELD:
        document = DOCUMENT_OF_FIELD[name]
        return {**answer, "document": document if value else "", "opens": DOCUMENTS[document][2]}
    if isinstance(field, models.URLField):
        return {**answer, "link": value}
    if field.choices:
        return {**answer, "text": getattr(application, f"get_{name}_display")() if value else ""}
    if isinstance(value, bool):
        return {**answer, "text": "Oui" if value else "Non"}
    if isinstance(value, datetime.date):
        return {**answer, "date": value}
    if value is None:
        return {**answer, "text": ""}
    # A year or a number of years, printed as typed (no thousands separator).
    return {**answer, "text": str(value)}


def _sections(application: Application) -> list[dict]:
    """The application's sections in the order of its form, each with its answers; the
    wishes' section is the page's own table."""
    return [
        {
            "section": section,
            "answers": [_answer(application, name) for name in section.fields],
        }
        for section in SECTIONS
    ]


def _name(application: Application) -> str:
    if application.candidate_id is None:
        return "Candidature anonymisée"
    return application.candidate.get_full_name() or application.candidate.email


@login_required
def staff_application_page(request, pk):
    application = get_application_for_staff(request.user, pk)
    services.application_access_record(
        application=application, viewer=request.user, kind=PoolAccess.Kind.APPLICATION
    )
    name = _name(application)
    return render(
        request,
        "candidates/staff/application.html",
        {
            "application": application,
            "call": application.call,
            "candidate": application.candidate,
            "name": name,
            "sections": _sections(application),
            "duplicates": application_possible_duplicates(application),
            "jury_stages": application_jury_figures(application),
            # The jury's page of its evaluations lists the applications before it only.
            "before_jury": application.call.jury_id and application.state in JURY_STATES,
            "history": history_for(application),
            "accesses": pool_accesses(application)[:100],
            "title": f"{name} – Candidature n° {application.pk:05d}",
        },
    )


@login_required
def staff_application_document(request, pk, document):
    """A file of the application (CV, anonymised CV, portfolio), streamed to staff only,
    never from a public address."""
    if document not in DOCUMENTS:
        raise Http404
    application = get_application_for_staff(request.user, pk)
    field, kind, _words = DOCUMENTS[document]
    file = getattr(application, field)
    if not file:
        raise Http404
    services.application_access_record(application=application, viewer=request.user, kind=kind)
    return FileResponse(
        file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"candidature-{application.pk}-{document}.pdf",
    )
