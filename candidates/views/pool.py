"""The talent pool (vivier) for programme staff: search and filters, one dossier, its CV,
exports of a selection. Every reading of a dossier's personal data is logged
(`pool_access_record`): its page, its CV, each export it is in."""

from html import escape  # Django's calls it, without a lazy-string wrapper per cell

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import capfirst

from candidates import services
from candidates.filters import EXPERIENCE_BANDS
from candidates.models import Application, PoolAccess
from candidates.search import SEARCHED_TEXTS, excerpt, highlight, words
from candidates.selectors import (
    PoolResult,
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
# A dossier number that no other part of a dossier's address holds.
_PK = 987654321
REFUSED = "Le vivier des talents est réservé à l'équipe du programme."


def _staff_only(user) -> None:
    require_perm(user, "candidates.read_pool", status=FORBIDDEN, message=REFUSED)


def _labels() -> dict[str, str]:
    return {name: str(Application._meta.get_field(name).verbose_name) for name in SEARCHED_TEXTS}


def _excerpts(
    result: PoolResult, texts_words: dict[str, set[str]], matched: set[str], labels: dict[str, str]
) -> list[tuple[str, str]]:
    """What a result shows of its texts: each text where a searched word was found (at
    most two), else the start of the main skills. `texts_words`: the folded words of each
    of its texts."""
    names = [name for name in result.texts if texts_words.get(name, set()) & matched][:2]
    if not names:
        return [(labels["skills_main"], excerpt(result.texts["skills_main"], set()))]
    return [(labels[name], excerpt(result.texts[name], matched)) for name in names]


def _result_html(result: PoolResult, *, url: str, excerpts, labels: dict[str, dict]) -> str:
    """One result of the pool's page as HTML, written here rather than by a template: a
    template pass per tag and per text of twenty results cost more than the rest of the
    page. `excerpts` are escaped already (`excerpt`); everything else is escaped here."""
    tags = []
    if result.specialty:
        tags.append(escape(labels["specialty"].get(result.specialty, result.specialty)))
    if result.years_experience is not None:
        years = result.years_experience
        tags.append(f"{years} an{'' if years == 1 else 's'} d’expérience")
    if result.mobility:
        tags.append(escape(labels["mobility"].get(result.mobility, result.mobility)))
    if result.available_on:
        tags.append(f"Disponible le {result.available_on:%d/%m/%Y}")
    tags.append(
        "Reste dans le vivier" if result.talent_pool_consent else "Sans accord pour le vivier"
    )
    wishes = f" · Vœux : {escape(' ; '.join(result.wished_defis))}" if result.wished_defis else ""
    return (
        '<li class="fr-mb-3w fr-pb-2w eig-pool-result">'
        f'<h2 class="fr-h5 fr-mb-1w"><a href="{escape(url)}">{escape(result.name)}</a></h2>'
        '<ul class="fr-tags-group fr-mb-1w">'
        + "".join(f'<li><p class="fr-tag fr-tag--sm">{tag}</p></li>' for tag in tags)
        + "</ul>"
        + "".join(
            f'<p class="fr-text--sm fr-mb-1v"><span class="fr-text--bold">'
            f"{escape(capfirst(label))} :</span> {text}</p>"
            for label, text in excerpts
        )
        + f'<p class="fr-text--xs fr-mb-0">{escape(result.call)} ({escape(result.promotion)})'
        f"{wishes}</p></li>"
    )


@login_required
def pool_search_page(request):
    _staff_only(request.user)
    filterset, queryset, searched = pool_search(request.GET)
    page = pool_page(queryset, request.GET.get("page"), PAGE_SIZE, words=searched)
    # Each text cut into words once: which of them matched, then where to excerpt.
    texts_words = {
        result.pk: {name: words([text]) for name, text in result.texts.items()}
        for result in page
        if searched
    }
    shown = set().union(*(found for texts in texts_words.values() for found in texts.values()))
    matched = pool_matched_words(searched, shown) if searched else set()
    labels = _labels()
    choices = {
        "specialty": {value: str(label) for value, label in Specialty.choices},
        "mobility": {value: str(label) for value, label in Application.Mobility.choices},
    }
    # The dossier's page highlights the same words. Its address reversed once for the page.
    searched_query = f"?{urlencode({'q': searched})}" if searched else ""
    dossier_url = reverse("candidates:pool_dossier", args=[_PK]) + searched_query
    results = SafeString(
        "".join(
            _result_html(
                result,
                url=dossier_url.replace(str(_PK), str(result.pk), 1),
                excerpts=_excerpts(result, texts_words.get(result.pk, {}), matched, labels),
                labels=choices,
            )
            for result in page
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "candidates/pool/search.html",
        {
            "filter": filterset,
            "page_obj": page,
            "results": results,
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
    _filterset, queryset, searched = pool_search(request.GET)
    rows = list(pool_export_rows(queryset, searched))
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
