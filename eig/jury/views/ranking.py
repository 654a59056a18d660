"""Staff pages of the selection, for every domain: the jury's ranking, its exports, and one
dossier's evaluations."""

import psycopg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from eig.exceptions import DomainError
from eig.exports import csv_response, xlsx_response
from eig.jury import services as jury_services
from eig.jury.filters import RankingFilter
from eig.jury.forms import EvaluationReopenForm
from eig.jury.models import Criterion
from eig.jury.screens import get_jury_for_staff, score_table, stage_asked
from eig.jury.selectors import (
    jury_dossier,
    jury_dossier_evaluations,
    jury_ranking,
    ranking_criterion_key,
)
from eig.jury.stages import jury_stages, stage_ref

RANKING_PAGE_SIZE = 250


def _ranking_fields(domain) -> tuple[str, ...]:
    """What the ranking shows of the dossier itself, next to the jury's figures."""
    fields = ("pk", domain.title_field, domain.holder_field, domain.state_field)
    return tuple(field for field in fields if field)


def _french(value) -> str:
    """2 decimals and a decimal comma, as the jury reads figures; empty when there is none.
    Digits and a comma need no escaping: marked safe, the template prints them as they are."""
    return "" if value is None else SafeString(f"{value:.2f}".replace(".", ","))


def _signed(value) -> str:
    """A normalised score: 2 decimals, a decimal comma and a true minus sign."""
    return "" if value is None else SafeString(f"{value:.2f}".replace(".", ",").replace("-", "−"))


def _digits(value) -> str:
    # A number given to the template as such goes through its localisation, ~5 µs a cell.
    return "" if value is None else SafeString(value)


def _ranking_criteria(jury, stage) -> list:
    """The grid of the ranking's stage (one query, the stage read inside it)."""
    return list(Criterion.objects.filter(stage=stage_ref(jury, stage)).order_by("position"))


def _ranking(request, domain, jury, criteria, stage=None):
    rows = jury_ranking(
        domain, jury, criteria=criteria, fields=_ranking_fields(domain), stage=stage
    )
    return RankingFilter(request.GET, queryset=rows, domain=domain)


def _filters_query(request) -> str:
    """The filters of the page, without its number, for the export links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def selection_ranking(request, jury_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    stage = stage_asked(request, jury)
    criteria = _ranking_criteria(jury, stage)
    # No cache: the figures and ranks are stored per dossier (`DossierAggregate`), so a
    # render reads one page of rows, joined on their dossiers.
    filterset = _ranking(request, domain, jury, criteria, stage)
    return render(
        request,
        "jury/ranking/ranking.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "filter": filterset,
            "results": _ranking_results(request, domain, jury, criteria, filterset),
            "stage": stage,
            "stages": jury_stages(jury) if (jury.stage_count or 0) > 1 else [],
            "title": f"Classement – {jury}",
        },
    )


_FLAG = (
    '<br><p class="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon">écart important</p>'
)
_EARLIER = (
    '<br><p class="fr-badge fr-badge--sm fr-badge--warning fr-badge--no-icon">version antérieure'
    '<span class="fr-sr-only"> : une évaluation soumise porte sur un texte modifié depuis</span>'
    "</p>"
)


def _ranking_row(cells: dict, shortlisted: str) -> str:
    """One `<tr>` of the ranking from a row's formatted cells, in the order of the table's
    head (`jury/ranking/includes/results.html`): the dossier's texts escaped; the figures
    are digits and decimal commas, already safe."""
    criteria = "".join(f'<td class="fr-cell--right">{value}</td>' for value in cells["criteria"])
    return (
        f'<tr><th scope="row" class="fr-cell--multiline eig-ranking-title">'
        f'<a href="{cells["url"]}">{escape(cells["title"])}</a></th>'
        f"<td>{cells['rank']}</td>"
        f'<td class="fr-cell--right eig-key-figure"><strong>{cells["weighted"]}</strong></td>'
        f'<td class="fr-cell--right">{cells["spread"]}{_FLAG if cells["flagged"] else ""}</td>'
        f"<td>{cells['done']} / {cells['due']}{_EARLIER if cells['earlier'] else ''}</td>"
        f"<td>{shortlisted if cells['shortlisted'] else '—'}</td>"
        f'<td class="fr-cell--right">{cells["normalised"]}</td>'
        f'<td class="fr-cell--right">{cells["mean"]}</td>'
        f'<td class="fr-cell--right">{cells["median"]}</td>'
        f"{criteria}"
        f'<td class="fr-cell--multiline">{escape(cells["holder"] or "")}</td></tr>'
    )


def _ranking_results(request, domain, jury, criteria, filterset) -> str:
    page = Paginator(filterset.qs, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    keys = [ranking_criterion_key(criterion) for criterion in criteria]
    # One reverse() for the page: each costs ~20 µs, 5 ms for 250 rows.
    dossier_url = reverse("jury:selection_dossier", args=[jury.pk, 0]).removesuffix("0/")
    untitled = f"{domain.nouns.singular.capitalize()} sans titre"
    # Ordered by the normalised score, the rank shown is the rank by that score.
    rank = "normalised_rank" if request.GET.get("tri") == "normalised" else "rank"
    # Formatted once here, then each row joined as one string: the template prints 250
    # rows without a variable lookup per cell.
    rows = [
        {
            "rank": _digits(row[rank]),
            "url": SafeString(f"{dossier_url}{row['pk']}/"),
            "title": row.get(domain.title_field) or f"{untitled} (n° {row['pk']})",
            "holder": row.get(domain.holder_field, ""),
            "done": _digits(row["done"]),
            "due": _digits(row["due"]),
            "criteria": [_french(row[key]) for key in keys],
            "weighted": _french(row["weighted"]),
            "normalised": _signed(row["normalised"]),
            "mean": _french(row["mean"]),
            "median": _french(row["median"]),
            "spread": _french(row["spread"]),
            "flagged": row["spread_flagged"],
            "shortlisted": row["shortlisted_at"] is not None,
            # Some submitted evaluation was made on an earlier text of the dossier.
            "earlier": row["earlier_version"],
        }
        for row in page.object_list
    ]
    shortlisted = (
        '<p class="fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon">'
        f"Présélectionné{domain.nouns.e}</p>"
    )
    table_rows = SafeString("".join(_ranking_row(cells, shortlisted) for cells in rows))
    # No context processors: the fragment needs only this, and `request` for the
    # pagination links that keep the filters.
    return render_to_string(
        "jury/ranking/includes/results.html",
        {
            "request": request,
            "jury": jury,
            "nouns": domain.nouns,
            "holder_label": domain.holder_label,
            "criteria": criteria,
            "page_obj": page,
            "rows": rows,
            "table_rows": table_rows,
            "filters_query": _filters_query(request),
        },
    )


def _export_header(domain, criteria) -> list[str]:
    nouns = domain.nouns
    return [
        "Rang",
        f"N° {nouns.of}",
        nouns.singular.capitalize(),
        domain.holder_label,
        "État",
        "Évaluations soumises",
        "Évaluations dues",
        *(f"{criterion.name} (moyenne)" for criterion in criteria),
        "Note pondérée",
        "Moyenne des jurés",
        "Médiane des jurés",
        "Écart entre jurés",
        "Écart important",
        "Présélectionné",
        # Last, so that the columns above keep their places in the sheets staff built on.
        "Note normalisée par juré",
        "Rang par la note normalisée",
    ]


def _export_rows(domain, filterset, criteria) -> list[tuple]:
    """Every row of the filtered ranking (not one page), figures as numbers, in the sheet's
    order. Read and fixed column by column: 2,000 rows of two dozen figures, and the writers
    take them column by column too."""
    keys = [ranking_criterion_key(criterion) for criterion in criteria]
    names = [
        "rank",
        "pk",
        domain.title_field,
        domain.holder_field,
        domain.state_field,
        "done",
        "due",
        *keys,
        "weighted",
        "mean",
        "median",
        "spread",
        "spread_flagged",
        "shortlisted_at",
        "normalised",
        "normalised_rank",
    ]
    # A domain without a title, holder or state has an empty column there.
    present = [name for name in names if name]
    rows = _rows_as_sent(filterset.qs.values_list(*present))
    if not rows:
        return []
    columns = dict(zip(present, zip(*rows, strict=True), strict=True))
    if state := domain.state_field:
        labels = domain.state_labels()
        columns[state] = [labels.get(value, value) for value in columns[state]]
    # Booleans: the writers write them « oui » and « non ».
    columns["shortlisted_at"] = [at is not None for at in columns["shortlisted_at"]]
    blank = [""] * len(rows)
    return list(zip(*(columns[name] if name else blank for name in names), strict=True))


def _rows_as_sent(queryset) -> list[tuple]:
    """The rows of a `values_list()` queryset as psycopg reads them, in PostgreSQL's binary
    format when the connection allows it (its cursors bind parameters on the server).

    The ranking's 2,000 rows of 20 columns cost 9 ms of Python through `values_list()`,
    2.5 ms this way: floats and timestamps arrive as bytes rather than as text PostgreSQL
    writes and psycopg parses, and no Django converter runs per row. None changes these
    columns (integers, floats, texts, booleans, a timestamp): a test compares both reads."""
    try:
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        # A client-side binding cursor (behind a pooler in transaction mode) reads text only.
        if not isinstance(cursor.cursor, psycopg.ClientCursor):
            cursor.cursor.format = psycopg.pq.Format.BINARY
        cursor.execute(sql, params)
        return cursor.fetchall()


def _export_filename(domain, jury, extension: str) -> str:
    call = domain.jury_call(jury)
    return f"classement-{getattr(call, 'slug', None) or f'jury-{jury.pk}'}.{extension}"


@login_required
def selection_ranking_csv(request, jury_pk):
    """The ranking for Excel: UTF-8 with a BOM, semicolons, decimal commas."""
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    stage = stage_asked(request, jury)
    criteria = _ranking_criteria(jury, stage)
    filterset = _ranking(request, domain, jury, criteria, stage)
    return csv_response(
        _export_filename(domain, jury, "csv"),
        _export_header(domain, criteria),
        _export_rows(domain, filterset, criteria),
    )


@login_required
def selection_ranking_xlsx(request, jury_pk):
    """The ranking as one sheet: bold frozen header, figures as numbers shown with two
    decimals."""
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    stage = stage_asked(request, jury)
    criteria = _ranking_criteria(jury, stage)
    filterset = _ranking(request, domain, jury, criteria, stage)
    return xlsx_response(
        _export_filename(domain, jury, "xlsx"),
        "Classement",
        _export_header(domain, criteria),
        _export_rows(domain, filterset, criteria),
    )


def _dossier_page(
    request, domain, jury, dossier_pk, *, reopen_form=None, reopen_pk=None, status=200
):
    dossier = jury_dossier(domain, jury, dossier_pk)
    criteria = _ranking_criteria(jury, None)
    evaluations = list(jury_dossier_evaluations(domain, jury, dossier))
    for evaluation in evaluations:
        # The same row: `made_on_earlier_version` reads it.
        setattr(evaluation, domain.dossier_field, dossier)
        evaluation.reopen_form = (
            reopen_form if evaluation.pk == reopen_pk else EvaluationReopenForm(auto_id=False)
        )
    # What changed since the oldest text an evaluation was made on (one query, only then).
    earlier = [e.dossier_version for e in evaluations if e.made_on_earlier_version]
    figures = jury_ranking(domain, jury, criteria=criteria).filter(pk=dossier.pk).first()
    if figures is not None:
        figures = {
            **figures,
            **{name: _french(figures[name]) for name in ("weighted", "mean", "median", "spread")},
            "normalised": _signed(figures["normalised"]),
        }
    names = [
        evaluation.member.user.get_full_name() or evaluation.member.user.email
        for evaluation in evaluations
    ]
    return render(
        request,
        "jury/ranking/dossier.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "dossier": dossier,
            "label": domain.dossier_label(dossier),
            "holder": domain.dossier_holder(dossier),
            "read_url": domain.dossier_read_url(dossier),
            "state": domain.state_label(getattr(dossier, domain.state_field, "")),
            "current_version": getattr(dossier, domain.dossier_version_field, None)
            if domain.dossier_version_field
            else None,
            "evaluations": evaluations,
            "scores": score_table(criteria, evaluations, names),
            "figures": figures,
            "earlier": domain.changes_since(dossier, min(earlier)) if earlier else None,
            "title": domain.dossier_label(dossier),
        },
        status=status,
    )


@login_required
def selection_dossier(request, jury_pk, dossier_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    return _dossier_page(request, domain, jury, dossier_pk)


@login_required
@require_POST
def selection_evaluation_reopen(request, jury_pk, pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    evaluation = get_object_or_404(domain.evaluations(jury).select_related("member__user"), pk=pk)
    if not request.user.has_perm("jury.read_evaluation", evaluation):
        raise Http404
    dossier_pk = getattr(evaluation, domain.dossier_id_field)
    form = EvaluationReopenForm(request.POST, auto_id=False)
    if not form.is_valid():
        return _dossier_page(
            request, domain, jury, dossier_pk, reopen_form=form, reopen_pk=pk, status=400
        )
    try:
        jury_services.evaluation_reopen(
            domain=domain,
            evaluation=evaluation,
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"L'évaluation de {evaluation.member} est rouverte ; un courriel l'en prévient.",
        )
    return redirect("jury:selection_dossier", jury_pk=jury.pk, dossier_pk=dossier_pk)
