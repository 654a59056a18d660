"""The talent pool (vivier) for programme staff: search and filters, one dossier, its CV,
exports of a selection. Every reading of a dossier's personal data is logged
(`pool_access_record`): its page, its CV, each export it is in."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone

from candidates import services
from candidates.filters import EXPERIENCE_BANDS
from candidates.models import Application, PoolAccess
from candidates.search import SEARCHED_TEXTS, excerpt, highlight, words
from candidates.selectors import (
    pool_accesses,
    pool_dossier,
    pool_export_rows,
    pool_matched_words,
    pool_page,
    pool_search,
)
from eig.exports import csv_response, xlsx_response
from eig.history.selectors import history_for
from eig.permissions import FORBIDDEN, require_perm
from eig.programme.models import Specialty

PAGE_SIZE = 20
REFUSED = "Le vivier des talents est réservé à l'équipe du programme."


def _staff_only(user) -> None:
    require_perm(user, "candidates.read_pool", status=FORBIDDEN, message=REFUSED)


def _labels() -> dict[str, str]:
    return {name: str(Application._meta.get_field(name).verbose_name) for name in SEARCHED_TEXTS}


def _excerpts(
    application, texts_words: dict[str, set[str]], matched: set[str], labels: dict[str, str]
) -> list[tuple[str, str]]:
    """What a result shows of its texts: each text where a searched word was found (at
    most two), else the start of the main skills. `texts_words`: the folded words of each
    of its texts."""
    found = [
        (labels[name], excerpt(getattr(application, name), matched))
        for name in SEARCHED_TEXTS
        if texts_words.get(name, set()) & matched
    ]
    return found[:2] or [(labels["skills_main"], excerpt(application.skills_main, set()))]


@login_required
def pool_search_page(request):
    _staff_only(request.user)
    filterset, queryset, searched = pool_search(request.GET)
    page = pool_page(queryset, request.GET.get("page"), PAGE_SIZE)
    # Each text cut into words once: which of them matched, then where to excerpt.
    texts_words = {
        application.pk: {name: words([getattr(application, name)]) for name in SEARCHED_TEXTS}
        for application in page
        if searched
    }
    shown = set().union(*(found for texts in texts_words.values() for found in texts.values()))
    matched = pool_matched_words(searched, shown) if searched else set()
    labels = _labels()
    for application in page:
        application.excerpts = _excerpts(
            application, texts_words.get(application.pk, {}), matched, labels
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "candidates/pool/search.html",
        {
            "filter": filterset,
            "page_obj": page,
            "searched": searched,
            "filters_query": query.urlencode(),
            "title": "Vivier des talents",
        },
    )


@login_required
def pool_dossier_page(request, pk):
    _staff_only(request.user)
    application = pool_dossier(pk)
    services.pool_access_record(
        application_ids=[application.pk], viewer=request.user, kind=PoolAccess.Kind.DOSSIER
    )
    searched = (request.GET.get("q") or "")[:200]
    texts = [getattr(application, name) for name in SEARCHED_TEXTS]
    matched = pool_matched_words(searched, words(texts)) if searched.strip() else set()
    labels = _labels()
    name = application.candidate.get_full_name() or application.candidate.email
    return render(
        request,
        "candidates/pool/dossier.html",
        {
            "application": application,
            "candidate": application.candidate,
            "texts": [
                (labels[field], highlight(getattr(application, field), matched))
                for field in SEARCHED_TEXTS
            ],
            "searched": searched,
            "history": history_for(application),
            "accesses": pool_accesses(application)[:100],
            "name": name,
            "title": f"{name} – Vivier des talents",
        },
    )


@login_required
def pool_cv(request, pk):
    """The candidate's CV, streamed to staff only, never from a public address."""
    _staff_only(request.user)
    application = pool_dossier(pk)
    if not application.cv:
        raise Http404
    services.pool_access_record(
        application_ids=[application.pk], viewer=request.user, kind=PoolAccess.Kind.CV
    )
    return FileResponse(
        application.cv.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"vivier-{application.pk}-cv.pdf",
    )


EXPORT_HEADER = (
    "N° de dossier",
    "Nom",
    "Prénom",
    "Courriel",
    "Téléphone",
    "Métier",
    "Années d'expérience",
    "Tranche d'expérience",
    "Mobilité",
    "Disponible le",
    "Accepte de rester dans le vivier",
    "Appel à candidatures",
    "Promotion",
    "Défis souhaités",
    "Compétences principales",
    "Compétences complémentaires",
)


def _band(years) -> str:
    if years is None:
        return ""
    for (low, high), label in EXPERIENCE_BANDS.values():
        if years >= low and (high is None or years <= high):
            return str(label)
    return ""


def _export(request, kind):
    """The dossiers the current filters select, all of them, in the page's order; each
    logged as exported by the person before the file leaves."""
    _staff_only(request.user)
    _filterset, queryset, _searched = pool_search(request.GET, capped=False)
    rows = list(pool_export_rows(queryset))
    services.pool_access_record(
        application_ids=[row[0] for row in rows], viewer=request.user, kind=kind
    )
    specialties = dict(Specialty.choices)
    mobilities = dict(Application.Mobility.choices)
    return [
        (
            pk,
            last_name,
            first_name,
            email,
            phone,
            str(specialties.get(specialty, specialty)),
            years,
            _band(years),
            str(mobilities.get(mobility, mobility)),
            available_on,
            consent,
            call,
            promotion,
            wished,
            skills_main,
            skills_secondary,
        )
        for (
            pk,
            _state,
            last_name,
            first_name,
            email,
            phone,
            specialty,
            years,
            mobility,
            available_on,
            consent,
            call,
            promotion,
            wished,
            skills_main,
            skills_secondary,
        ) in rows
    ]


def _filename(extension: str) -> str:
    return f"vivier-{timezone.localdate():%Y-%m-%d}.{extension}"


@login_required
def pool_export_csv(request):
    rows = _export(request, PoolAccess.Kind.EXPORT_CSV)
    return csv_response(_filename("csv"), EXPORT_HEADER, rows)


@login_required
def pool_export_xlsx(request):
    rows = _export(request, PoolAccess.Kind.EXPORT_XLSX)
    return xlsx_response(_filename("xlsx"), "Vivier", EXPORT_HEADER, rows)
