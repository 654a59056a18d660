"""Staff pages of the selection after scoring, for every domain: pre-selection, hearings
(groups, slots, convocations), the hearing groups' opinions, the deliberation and its
decision record.

The forms (in `eig/jury/forms.py`) validate input only; the services in
`eig.jury.shortlist`, `hearings` and `decisions` hold the rules.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import FilteredRelation, Q
from django.http import FileResponse, Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from eig.confirm import Confirmation, confirmation_page, is_confirmed
from eig.exceptions import DomainError
from eig.jury import decisions, hearings, shortlist
from eig.jury.forms import (
    DecisionForm,
    DecisionLetterForm,
    HearingRecordForm,
    HearingSlotForm,
    JuryGroupForm,
    ShortlistForm,
    SlotAssignForm,
    slot_label,
    slot_offered,
)
from eig.jury.models import AbstractReview, DecisionLetter, DecisionRecord, JuryGroup
from eig.jury.screens import (
    decision_record_list,
    decision_rows,
    decision_warnings,
    get_jury_for_staff,
    get_review_for_hearing,
    hearing_group_reviews,
    hearing_rows,
    hearing_slot_rows,
    jury_group_rows,
    stage_asked,
)
from eig.jury.selectors import jury_ranking
from eig.jury.stages import jury_stages, stage_ref
from eig.jury.views.paging import counted_page
from eig.programme.french import ordinal_suffix

Decision = AbstractReview.Decision
# A page of the pre-selection and deliberation tables, in the order of the ranking: 50 rows,
# each with its form, as DSFR tables page them (100 cost twice the render for rows
# below the fold; the ranking shows the whole order 250 at a time).
DELIBERATION_PAGE_SIZE = 50
# A page of the hearings' table: a shortlist is a tenth of the dossiers, 200 at 2,000.
HEARINGS_PAGE_SIZE = 50


# --- Pages --------------------------------------------------------------------------------


def _jury_dossier(domain, jury, pk):
    """A dossier submitted to this jury, from a posted id; 404 otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(
        domain.dossiers(jury).select_related(None).prefetch_related(None), pk=pk
    )


def _errors_to_messages(request, form) -> None:
    """Errors of a posted form whose row no longer shows a form (the dossier was decided)."""
    if form is not None:
        for error in form.non_field_errors():
            messages.error(request, error)


# What the pre-selection and deliberation tables print of the ranking (`_figures_cell`).
_FIGURES = ("rank", "due", "done", "weighted", "spread", "spread_flagged")


def _decimal(value) -> str:
    # As `floatformat:2` prints a figure in French.
    return f"{value:.2f}".replace(".", ",")


def _figures_cell(figures: dict | None) -> SafeString:
    """The jury's figures on a dossier in one cell, as
    `jury/deliberation/includes/figures.html` prints them (a test compares the two),
    without an include and its filters per row. Only numbers go in: nothing to escape."""
    # Without figures, `pluralize` gets an empty string and adds nothing.
    plural = "" if figures is None or figures.get("due") == 1 else "s"
    figures = figures or {}
    due, done = figures.get("due") or 0, figures.get("done") or 0
    evaluations = f"{done}/{due} évaluation{plural}"
    if figures.get("weighted") is None:
        return SafeString(f'Non classé<br><span class="fr-text--xs">{evaluations}</span>')
    rank = figures["rank"]
    flag = (
        '<p class="fr-badge fr-badge--sm fr-badge--warning fr-mt-1v" title="Écart de '
        f'{_decimal(figures["spread"])} entre les notes des jurés">Écart</p>'
        if figures.get("spread_flagged")
        else ""
    )
    return SafeString(
        f"<strong>{rank}<sup>{ordinal_suffix(rank)}</sup></strong> · "
        f"{_decimal(figures['weighted'])}{flag}"
        f'<br><span class="fr-text--xs">{evaluations}</span>'
    )


def _ranked_page(
    request,
    domain,
    jury,
    bound: dict,
    counts: dict[str, Q],
    *,
    stage=None,
    decision_stage=None,
    group: str = "",
):
    """One page of the jury's dossiers in the ranking's order (best weighted score first,
    dossiers without figures last), as rows with the dossier, its review and its figures,
    and the number of the jury's dossiers that match each of `counts` (and `total`).
    Only the page's rows are read, figures and dossiers: a page costs the same with 20
    dossiers or 2,000, and the counts come with its figures (window counts over every
    dossier, which the page's LIMIT leaves whole). A posted form opens on its page, so
    that its errors are in sight. At one `stage` (the first when None), of one `group` of
    the domain's dossiers when given; the rows' reviews at `decision_stage` when it is
    another stage (the decisions are taken at the last), which `counts` then reach as
    `decision_review`."""
    number = request.GET.get("page")
    ranking = jury_ranking(domain, jury, stage=stage)
    if decision_stage is not None and decision_stage != stage:
        relation = domain.review_relation
        ranking = ranking.annotate(
            decision_review=FilteredRelation(
                relation, condition=Q(**{f"{relation}__stage": decision_stage.pk})
            )
        )
    else:
        decision_stage = stage
    if group:
        ranking = ranking.filter(**{domain.dossier_group.field: group})
    if bound:
        order = list(ranking.values_list("pk", flat=True))
        posted = next((index for index, pk in enumerate(order) if pk in bound), None)
        if posted is not None:
            number = posted // DELIBERATION_PAGE_SIZE + 1
    # The figures `_figures_cell` prints, no more: the window counts keep every row of the
    # jury's dossiers until the page is sorted out of them, and the ranking's 20 columns
    # made that twice as slow.
    ranking = ranking.values("pk", *_FIGURES)
    page, totals = counted_page(ranking, number, DELIBERATION_PAGE_SIZE, counts)
    figures = page.object_list
    dossiers = decision_rows(domain, jury, decision_stage).in_bulk([row["pk"] for row in figures])
    rows = []
    for row in figures:
        dossier = dossiers.get(row["pk"])
        if dossier is not None:
            rows.append(
                _named(
                    domain,
                    {
                        "dossier": dossier,
                        "review": domain.review_of(dossier),
                        "figures": row,
                        "figures_html": _figures_cell(row),
                    },
                )
            )
    return page, rows, totals


# Stands for a row's form prefix in a form rendered once for many rows.
_PREFIX = "dossier-__prefix__"


def _unbound_form_html(cache: dict, key, template: str, form_class, pk: int, **kwargs) -> str:
    """An unbound row form's HTML: rendered once per `key` (what changes the form besides
    its prefix) with a stand-in prefix, then given each row's prefix. A page of 50 rows
    renders its form a few times instead of 50."""
    if key not in cache:
        cache[key] = render_to_string(template, {"form": form_class(prefix=_PREFIX, **kwargs)})
    return SafeString(cache[key].replace(_PREFIX, f"dossier-{pk}"))


# Stands for a row's questions in the pre-selection form rendered once for the page.
_QUESTIONS = "__questions__"


def _shortlist_form_html(cache: dict, pk: int, questions: str) -> str:
    """A row's unbound pre-selection form with its questions, from one render for the page
    (the textarea prints them escaped, as `{{ form.initial.questions }}` does)."""
    html = _unbound_form_html(
        cache,
        None,
        "jury/deliberation/includes/shortlist_form.html",
        ShortlistForm,
        pk,
        initial={"questions": _QUESTIONS},
    )
    return SafeString(html.replace(_QUESTIONS, escape(questions)))


# --- Rows of the tables, as strings ------------------------------------------------------
# The three tables print 50 rows, each with a form; through the template a row cost ~800
# variable lookups, three includes and a CSRF tag, most of a page's render. The view writes
# them as strings once formatted, as the ranking does (`_ranking_row`): texts escaped, one
# CSRF token and one reverse() per page. A row whose posted form has errors (one a page)
# goes through its template (`includes/*_row.html`) and crispy, which print the errors; a
# test compares both ways for every state of a row.

_DECISION_BADGES = {
    Decision.SELECTED: "fr-badge--success",
    Decision.WAITING_LIST: "fr-badge--info",
    Decision.NOT_SELECTED: "fr-badge--error",
}
# The `date` filter's formats of the rows.
_DAY_TIME = "j F à H\\hi"
_DATE_TIME = "j F Y à H\\hi"
_DATE_COMMA_TIME = "j F Y, H\\hi"


def _labels(choices) -> dict[str, str]:
    """Values to labels, translated once for the page (`get_FOO_display` per row rebuilds
    its choices)."""
    return {value: str(label) for value, label in choices}


def _date(value, format: str) -> str:
    # As the `date` filter prints it: in the current time zone, in French.
    return escape(date_format(timezone.localtime(value), format))


def _csrf_input(csrf: str) -> str:
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'


def _dossier_cell(row: dict) -> str:
    label = escape(row["label"])
    link = f'<a href="{escape(row["url"])}">{label}</a>' if row["url"] else label
    return f'<th scope="row" class="fr-cell--multiline">{link}</th>'


def _decision_badge(decision: str, labels: dict) -> str:
    """As `includes/decision_badge.html` prints a review's decision."""
    badge = _DECISION_BADGES.get(decision)
    if badge is None:
        return '<p class="fr-badge fr-badge--sm">Pas de décision</p>'
    return f'<p class="fr-badge fr-badge--sm {badge}">{escape(labels[decision])}</p>'


def _opinion_cell(review, labels: dict) -> str:
    """As `includes/opinion.html` prints the hearing group's opinion; `review` may be None."""
    if review is None:
        return "Non auditionné"
    if review.heard_at:
        slot = review.slot
        badge = (
            "fr-badge--success"
            if review.opinion == AbstractReview.Opinion.FAVOURABLE
            else "fr-badge--warning"
        )
        group = f" dans « {escape(slot.group.name)} »" if slot else ""
        favourite = " · <strong>coup de cœur</strong>" if review.favourite else ""
        opinion = labels.get(review.opinion, review.opinion)
        return (
            f'<p class="fr-badge fr-badge--sm {badge}">{escape(opinion)}</p>'
            f'<p class="fr-text--sm fr-mb-0">Rang {escape(review.hearing_rank)}{group}'
            f"{favourite}</p>"
            f'<p class="fr-text--sm fr-mb-0">{linebreaksbr(review.justification, True)}</p>'
        )
    if review.slot:
        slot = review.slot
        return (
            f"Audition le {_date(slot.starts_at, _DAY_TIME)} ({escape(slot.group.name)}), "
            "avis pas encore rendu"
        )
    return "Présélectionné, sans créneau" if review.shortlisted_at else "Non auditionné"


def _shortlist_row(row: dict, *, csrf: str, decisions: dict) -> str:
    """One `<tr>` of the pre-selection table, as `includes/shortlist_row.html` prints it
    for a row without a bound form."""
    review, pk = row["review"], row["dossier"].pk
    shortlisted = bool(review and review.shortlisted_at)
    if review and review.decision:
        state = _decision_badge(review.decision, decisions)
        action = linebreaksbr(review.questions or "—", True)
    else:
        state = (
            '<p class="fr-badge fr-badge--sm fr-badge--new">Présélectionné</p>'
            if shortlisted
            else '<p class="fr-badge fr-badge--sm">Non présélectionné</p>'
        )
        label = escape(row["label"])
        if shortlisted:
            buttons = (
                '<li><button type="submit" name="action" value="shortlist" '
                f'class="fr-btn fr-btn--sm" title="Enregistrer les questions sur « {label} »">'
                "Enregistrer les questions</button></li>"
                '<li><button type="submit" name="action" value="unshortlist" '
                'class="fr-btn fr-btn--sm fr-btn--tertiary" '
                f'title="Retirer « {label} » de la présélection">'
                "Retirer de la présélection</button></li>"
            )
        else:
            buttons = (
                '<li><button type="submit" name="action" value="shortlist" '
                f'class="fr-btn fr-btn--sm" title="Présélectionner « {label} »">'
                "Présélectionner</button></li>"
            )
        action = (
            f'<form method="post" novalidate>{_csrf_input(csrf)}'
            f'<input type="hidden" name="dossier" value="{pk}">{row["form_html"]}'
            '<ul class="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">'
            f"{buttons}</ul></form>"
        )
    return (
        f'<tr id="dossier-{pk}">{_dossier_cell(row)}'
        f'<td class="fr-cell--multiline">{escape(row["holder"])}</td>'
        f"<td>{row['figures_html']}</td><td>{state}</td>"
        f'<td class="fr-cell--multiline">{action}</td></tr>'
    )


def _hearing_row(row: dict, *, csrf: str, record_url: str, opinions: dict) -> str:
    """One `<tr>` of the hearings' table, as `includes/hearing_row.html` prints it for a
    row without a bound form; `record_url` is the hearing record's path less its
    `<dossier>/avis/`."""
    review, pk = row["review"], row["dossier"].pk
    label = escape(row["label"])
    slot = review.slot
    if review.decision or review.heard_at:
        when = (
            f"{_date(slot.starts_at, _DATE_COMMA_TIME)} · {escape(slot.group.name)}"
            if slot
            else "—"
        )
    else:
        prefix = row["prefix"]
        when = (
            f'<form method="post" novalidate>{_csrf_input(csrf)}'
            f'<input type="hidden" name="dossier" value="{pk}">'
            '<div class="fr-select-group">'
            f'<label class="fr-label" for="id_{prefix}-slot">Créneau</label>'
            f'<select name="{prefix}-slot" class="select fr-select" id="id_{prefix}-slot">'
            f"{row['slot_options']}</select></div>"
            '<button type="submit" name="action" value="assign" '
            'class="fr-btn fr-btn--sm fr-btn--secondary" '
            f'title="Enregistrer le créneau de « {label} »">Enregistrer</button></form>'
        )
    if review.convoked_at:
        convocation = f"Convoqué le {_date(review.convoked_at, _DATE_TIME)}"
    else:
        convocation = "À convoquer" if slot and not review.decision else "—"
    record = ""
    if slot and not review.decision:
        verb = "Modifier" if review.heard_at else "Saisir"
        record = (
            f'<p class="fr-mb-0"><a class="fr-link fr-link--sm" href="{record_url}{pk}/avis/">'
            f'{verb} l\'avis<span class="fr-sr-only"> sur « {label} »</span></a></p>'
        )
    return (
        f'<tr id="dossier-{pk}"><th scope="row" class="fr-cell--multiline">{label}</th>'
        f'<td class="fr-cell--multiline">{escape(row["holder"])}</td>'
        f"<td>{when}</td><td>{convocation}</td>"
        f'<td class="fr-cell--multiline">{_opinion_cell(review, opinions)}{record}</td></tr>'
    )


def _deliberation_row(
    row: dict, *, csrf: str, recipients: str, decisions: dict, opinions: dict
) -> str:
    """One `<tr>` of the deliberation table, as `includes/deliberation_row.html` prints it
    for a row without a bound form; `recipients` is the domain's, escaped."""
    review, pk = row["review"], row["dossier"].pk
    decision = ""
    if review and review.decision:
        decision = _decision_badge(review.decision, decisions) + row["decision_note"]
        if review.motivation:
            motivation = linebreaksbr(review.motivation, True)
            decision += f'<p class="fr-text--sm fr-mb-1w">{motivation}</p>'
    if row["allowed"]:
        decision += (
            f'<form method="post" novalidate>{_csrf_input(csrf)}'
            f'<input type="hidden" name="dossier" value="{pk}">{row["form_html"]}'
            '<button type="submit" name="action" value="decide" class="fr-btn fr-btn--sm" '
            f"title=\"Enregistrer la décision sur « {escape(row['label'])} » et l'envoyer à "
            f'{recipients}">Décider</button></form>'
        )
    return (
        f'<tr id="dossier-{pk}">{_dossier_cell(row)}'
        f'<td class="fr-cell--multiline">{escape(row["holder"])}</td>'
        f"<td>{row['figures_html']}</td>"
        f'<td class="fr-cell--multiline">{_opinion_cell(review, opinions)}</td>'
        f'<td class="fr-cell--multiline">{decision}</td></tr>'
    )


def _table_rows(rows: list, row_html, template: str, context: dict) -> SafeString:
    """The rows of a table as one string, `row_html(row)` each; a row whose posted form
    has errors goes through `template` (with `context`) and crispy, which print them."""
    return SafeString(
        "".join(
            render_to_string(template, {**context, "row": row})
            if getattr(row.get("form"), "is_bound", False)
            else row_html(row)
            for row in rows
        )
    )


def _row(domain, dossier, review) -> dict:
    """A row of the pre-selection, hearings and deliberation tables."""
    return {"dossier": dossier, "review": review}


def _named(domain, row: dict) -> dict:
    """What a row prints of its dossier, for the rows of the page only: 2,000 preview links
    cost 40 ms of reverse()."""
    dossier = row["dossier"]
    row["label"] = domain.dossier_label(dossier)
    row["holder"] = domain.dossier_holder(dossier)
    row["url"] = domain.dossier_preview_url(dossier)
    return row


def _unavailable_while_open(request, domain, jury, *, current: str, step: str, heading: str):
    """The page of a step that starts when selection does (for a call, at its closing),
    before then; a POST gets the same page, nothing being possible yet. None once it has
    started."""
    starts_at = domain.selection_starts_at(jury)
    if starts_at is None or timezone.now() >= starts_at:
        return None
    return render(
        request,
        "jury/deliberation/unavailable.html",
        {
            "jury": jury,
            "call": domain.jury_call(jury),
            "domain": domain,
            "nouns": domain.nouns,
            "starts_at": starts_at,
            "current": current,
            "step": step,
            "heading": heading,
            "title": f"{step} — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_shortlist(request, jury_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    unavailable = _unavailable_while_open(
        request,
        domain,
        jury,
        current="shortlist",
        step="Présélection",
        heading="Présélection pour les auditions",
    )
    if unavailable:
        return unavailable
    # A later stage's shortlist (those its hearing or interview invites): `?etape=`.
    stage = stage_asked(request, jury)
    here = reverse("jury:selection_shortlist", args=[jury.pk]) + (
        f"?etape={stage.position}" if stage is not None else ""
    )
    bound = {}
    if request.method == "POST":
        dossier = _jury_dossier(domain, jury, request.POST.get("dossier"))
        action = request.POST.get("action")
        form = ShortlistForm(request.POST, prefix=f"dossier-{dossier.pk}")
        bound[dossier.pk] = form
        if action not in ("shortlist", "unshortlist"):
            form.add_error(None, "Action inconnue.")
        elif form.is_valid():
            try:
                if action == "shortlist":
                    shortlist.review_shortlist(
                        domain=domain,
                        jury=jury,
                        dossier=dossier,
                        actor=request.user,
                        questions=form.cleaned_data["questions"],
                        stage=stage,
                    )
                    message = f"« {dossier} » est présélectionné pour une audition."
                else:
                    shortlist.review_unshortlist(
                        domain=domain, jury=jury, dossier=dossier, actor=request.user, stage=stage
                    )
                    message = f"« {dossier} » n'est plus présélectionné."
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, message)
                return redirect(here)
    page, rows, counts = _ranked_page(
        request,
        domain,
        jury,
        bound,
        {"shortlisted": Q(stage_review__shortlisted_at__isnull=False)},
        stage=stage,
    )
    # Forms for the rows of the page only, as on the deliberation page.
    forms = {}
    for row in rows:
        review, pk = row["review"], row["dossier"].pk
        row["form"] = None
        if review and review.decision:  # the row shows no form any more
            _errors_to_messages(request, bound.get(pk))
        elif pk in bound:
            row["form"] = bound[pk]
        else:
            row["form_html"] = _shortlist_form_html(forms, pk, review.questions if review else "")
    csrf = get_token(request)
    decision_labels = _labels(domain.decision_choices())
    for row in rows:
        review = row["review"]
        row["decision_label"] = decision_labels.get(review.decision, "") if review else ""
    table_rows = _table_rows(
        rows,
        lambda row: _shortlist_row(row, csrf=csrf, decisions=decision_labels),
        "jury/deliberation/includes/shortlist_row.html",
        {"csrf_token": csrf},
    )
    return render(
        request,
        "jury/deliberation/shortlist.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "rows": rows,
            "table_rows": table_rows,
            "page_obj": page,
            "total": counts["total"],
            "shortlisted": counts["shortlisted"],
            "stage": stage,
            "stages": jury_stages(jury) if (jury.stage_count or 0) > 1 else [],
            "title": f"Présélection — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_hearings(request, jury_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    # A later stage's hearings or interviews: `?etape=` (the slots are the jury's).
    stage = stage_asked(request, jury)
    slot_form = HearingSlotForm(jury=jury, prefix="creneau")
    assign_error = None
    if request.method == "POST":
        action = request.POST.get("action")
        response, errors = _hearings_post(request, domain, jury, action, stage)
        if response is not None:
            return response
        slot_form = errors.get("slot_form", slot_form)
        assign_error = errors.get("assign")
    slots = list(hearing_slot_rows(domain, jury))
    dossiers = hearing_rows(domain, jury, stage)
    # The table by pages, a posted form's row on its page, its counts with the page.
    number = request.GET.get("page")
    if assign_error:
        order = list(dossiers.values_list("pk", flat=True))
        if assign_error[0] in order:
            number = order.index(assign_error[0]) // HEARINGS_PAGE_SIZE + 1
    page, counts = counted_page(
        dossiers,
        number,
        HEARINGS_PAGE_SIZE,
        {
            "to_convoke": Q(
                stage_review__slot__isnull=False,
                stage_review__convoked_at__isnull=True,
                stage_review__decision="",
            )
        },
    )
    # Each slot's <option>, escaped once for the page (see `_slot_options`).
    options = [
        (slot, format_html('<option value="{}">{}</option>', slot.pk, slot_label(slot)))
        for slot in slots
    ]
    rows = []
    for dossier in page.object_list:
        review = domain.review_of(dossier)
        row = _named(domain, {**_row(domain, dossier, review), "prefix": f"dossier-{dossier.pk}"})
        if assign_error and assign_error[0] == dossier.pk:
            form = SlotAssignForm(
                request.POST,
                slots=slots,
                current=review.slot_id,
                prefix=f"dossier-{dossier.pk}",
                initial={"slot": review.slot_id},
            )
            form.is_valid()
            form.add_error(None, assign_error[1])
            assign_error = None
            row["form"] = form
        else:
            row["slot_options"] = _slot_options(options, review.slot_id)
        rows.append(row)
    csrf = get_token(request)
    # One reverse() for the page's links to the hearing record.
    record_url = reverse("jury:selection_hearing_record", args=[jury.pk, 0]).removesuffix("0/avis/")
    opinion_labels = _labels(AbstractReview.Opinion.choices)
    table_rows = _table_rows(
        rows,
        lambda row: _hearing_row(row, csrf=csrf, record_url=record_url, opinions=opinion_labels),
        "jury/deliberation/includes/hearing_row.html",
        {"csrf_token": csrf, "jury": jury},
    )
    return render(
        request,
        "jury/deliberation/hearings.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "groups": jury_group_rows(jury),
            "slots": slots,
            "rows": rows,
            "table_rows": table_rows,
            "page_obj": page,
            "to_convoke": counts["to_convoke"],
            "slot_form": slot_form,
            "stage": stage,
            "stages": jury_stages(jury) if (jury.stage_count or 0) > 1 else [],
            "title": f"Auditions — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _slot_options(options, current) -> SafeString:
    """The <option>s of a dossier's unbound slot form, as `SlotAssignForm` renders them
    through crispy (a test compares the two): no slot, then the slots `slot_offered` keeps,
    the dossier's own selected. Joined strings rather than a widget per row: the page may
    list hundreds of dossiers."""
    blank = '<option value=""{}>— Pas de créneau —</option>'.format("" if current else " selected")
    parts = [blank]
    for slot, option in options:
        if slot.pk == current:
            parts.append(option.replace("<option ", "<option selected ", 1))
        elif slot_offered(slot, current):
            parts.append(option)
    return SafeString("".join(parts))


def _hearings_post(request, domain, jury, action, stage=None):
    """Handle one action of the hearings page (at `stage`, the first when None): (redirect,
    {}) when done, else (None, the bound forms or the error to show)."""
    done = redirect(
        reverse("jury:selection_hearings", args=[jury.pk])
        + (f"?etape={stage.position}" if stage is not None else "")
    )
    if action == "group_delete":
        group = get_object_or_404(JuryGroup, pk=_int(request.POST.get("group")), jury=jury)
        try:
            hearings.jury_group_delete(group=group, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return None, {}
        messages.success(request, f"Le groupe « {group} » est supprimé.")
        return done, {}
    if action == "slot_create":
        form = HearingSlotForm(request.POST, jury=jury, prefix="creneau")
        if form.is_valid():
            try:
                hearings.hearing_slot_create(jury=jury, actor=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Le créneau est ajouté.")
                return done, {}
        return None, {"slot_form": form}
    if action == "slot_delete":
        slot = get_object_or_404(jury.slots, pk=_int(request.POST.get("slot")))
        try:
            hearings.hearing_slot_delete(domain=domain, slot=slot, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return None, {}
        messages.success(request, "Le créneau est supprimé.")
        return done, {}
    if action == "assign":
        dossier = _jury_dossier(domain, jury, request.POST.get("dossier"))
        slots = list(hearing_slot_rows(domain, jury))
        review = domain.review_model.objects.filter(
            stage=stage_ref(jury, stage), **{domain.dossier_field: dossier}
        ).first()
        form = SlotAssignForm(
            request.POST,
            slots=slots,
            current=review.slot_id if review else None,
            prefix=f"dossier-{dossier.pk}",
        )
        if not form.is_valid():
            return None, {"assign": (dossier.pk, "Choisissez un créneau libre de la liste.")}
        slot_pk = form.cleaned_data["slot"]
        slot = next((slot for slot in slots if slot.pk == slot_pk), None)
        try:
            hearings.review_assign_slot(
                domain=domain,
                jury=jury,
                dossier=dossier,
                slot=slot,
                actor=request.user,
                stage=stage,
            )
        except DomainError as error:
            return None, {"assign": (dossier.pk, error.message)}
        if slot is None:
            messages.success(request, f"« {dossier} » n'a plus de créneau d'audition.")
        else:
            messages.success(
                request, f"« {dossier} » sera auditionné{domain.nouns.e} le {slot_label(slot)}."
            )
        return done, {}
    if action == "convoke":
        count = hearings.hearing_convoke(domain=domain, jury=jury, actor=request.user)
        if count:
            plural = "s" if count > 1 else ""
            messages.success(request, f"{count} convocation{plural} envoyée{plural}.")
        else:
            messages.info(request, "Aucune convocation à envoyer : toutes sont déjà parties.")
        return done, {}
    messages.error(request, "Action inconnue.")
    return None, {}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@login_required
def selection_group_create(request, jury_pk):
    """A new hearing group, on a page of its own as its edition: the form lists every juror
    of the jury, which the hearings page need not carry at each render."""
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    form = JuryGroupForm(request.POST or None, jury=jury)
    if request.method == "POST" and form.is_valid():
        try:
            group = hearings.jury_group_create(
                jury=jury,
                name=form.cleaned_data["name"],
                members=form.cleaned_data["members"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Le groupe « {group} » est créé.")
            return redirect("jury:selection_hearings", jury_pk=jury.pk)
    return _group_page(request, jury, domain, None, form)


@login_required
def selection_group_edit(request, jury_pk, pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    group = get_object_or_404(JuryGroup.objects.prefetch_related("members"), pk=pk, jury=jury)
    form = JuryGroupForm(
        request.POST or None,
        jury=jury,
        group=group,
        initial={"name": group.name, "members": list(group.members.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            hearings.jury_group_update(
                group=group,
                name=form.cleaned_data["name"],
                members=form.cleaned_data["members"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, f"Le groupe « {form.cleaned_data['name']} » est modifié.")
            return redirect("jury:selection_hearings", jury_pk=jury.pk)
    return _group_page(request, jury, domain, group, form)


def _group_page(request, jury, domain, group, form):
    return render(
        request,
        "jury/deliberation/group_edit.html",
        {
            "jury": jury,
            "nouns": domain.nouns,
            "group": group,
            "form": form,
            "title": f"Groupe « {group} »" if group else "Nouveau groupe d'audition",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def selection_hearing_record(request, jury_pk, dossier_pk):
    review, domain = get_review_for_hearing(request.user, jury_pk, dossier_pk)
    dossier = domain.dossier_of(review)
    group_reviews = list(hearing_group_reviews(domain, review))
    for other in group_reviews:
        other.label = domain.dossier_label(domain.dossier_of(other))
        other.dossier_pk = getattr(other, domain.dossier_id_field)
    form = HearingRecordForm(
        request.POST or None,
        group_size=len(group_reviews),
        nouns=domain.nouns,
        initial={
            "opinion": review.opinion,
            "hearing_rank": review.hearing_rank,
            "favourite": review.favourite,
            "justification": review.justification,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            hearings.review_record_hearing(
                domain=domain, review=review, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            label = domain.dossier_label(dossier)
            messages.success(request, f"L'avis du groupe sur « {label} » est enregistré.")
            return redirect("jury:selection_hearing_record", jury_pk=jury_pk, dossier_pk=dossier.pk)
    return render(
        request,
        "jury/deliberation/hearing_record.html",
        {
            "jury": review.jury,
            "domain": domain,
            "nouns": domain.nouns,
            "review": review,
            "dossier": dossier,
            "label": domain.dossier_label(dossier),
            "holder": domain.dossier_holder(dossier),
            "group_reviews": group_reviews,
            "form": form,
            "title": f"Avis d'audition — {domain.dossier_label(dossier)}",
        },
        status=400 if request.method == "POST" else 200,
    )


def _deliberation_stages(request, jury):
    """(the stage whose dossiers and figures the deliberation shows, the stage its decisions
    are taken at): `?etape=<position>`, else the last, where the jury heard the dossiers it
    kept. (None, None) for a jury of one stage, read inside the queries."""
    if getattr(jury, "stage_count", None) is not None and jury.stage_count <= 1:
        return None, None  # counted with the jury (`get_jury_for_staff`): no query
    stages = jury_stages(jury)
    if len(stages) == 1:
        return None, None
    position = request.GET.get("etape")
    if not position:
        return stages[-1], stages[-1]
    shown = next((stage for stage in stages if str(stage.position) == position), None)
    if shown is None:
        raise Http404
    return shown, stages[-1]


def _deliberation_group(request, domain) -> tuple[str, list[tuple[str, str]]]:
    """The group (`?groupe=`) the deliberation shows, "" for all, and the domain's groups."""
    if domain.dossier_group is None:
        return "", []
    choices = [(str(value), str(label)) for value, label in domain.dossier_group.choices()]
    group = request.GET.get("groupe") or ""
    return (group if group in dict(choices) else ""), choices


def _deliberation_url(jury, query: dict) -> str:
    url = reverse("jury:selection_deliberation", args=[jury.pk])
    query = {key: value for key, value in query.items() if value}
    return f"{url}?{urlencode(query)}" if query else url


def _decision_note(domain, review, labels: dict) -> SafeString:
    """Under a row's decision: its reason, and whether it was sent (for a domain that sends
    its decisions together). Printed alike by the string rows and the row template."""
    if review is None or not review.decision:
        return SafeString("")
    parts = []
    if review.reason:
        reason = escape(domain.reason_label(review.decision, review.reason))
        parts.append(f'<p class="fr-text--sm fr-mb-1v">Motif : {reason}</p>')
    if domain.decisions_sent_together:
        if review.decision_sent_at:
            parts.append(
                '<p class="fr-text--xs fr-mb-1w">Envoyée le '
                f"{_date(review.decision_sent_at, _DATE_TIME)}</p>"
            )
        else:
            parts.append('<p class="fr-badge fr-badge--sm fr-badge--new fr-mb-1w">À envoyer</p>')
    return SafeString("".join(parts))


@login_required
def selection_deliberation(request, jury_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    unavailable = _unavailable_while_open(
        request, domain, jury, current="deliberation", step="Délibération", heading="Délibération"
    )
    if unavailable:
        return unavailable
    stage, decision_stage = _deliberation_stages(request, jury)
    group, groups = _deliberation_group(request, domain)
    query = {"etape": request.GET.get("etape") if stage is not None else "", "groupe": group}
    here = _deliberation_url(jury, query)
    bound = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "record":
            try:
                record = decisions.decision_record_request(
                    domain=domain, jury=jury, actor=request.user
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    f"Le relevé de décision (version {record.version}) est en cours de "
                    "production : rechargez la page dans quelques instants.",
                )
                return redirect(here)
        elif action == "send":
            response = _decisions_send(request, domain, jury, group, here)
            if response is not None:
                return response
        elif action == "decide":
            dossier = _jury_dossier(domain, jury, request.POST.get("dossier"))
            form = DecisionForm(request.POST, prefix=f"dossier-{dossier.pk}", domain=domain)
            bound[dossier.pk] = form
            if form.is_valid() and not is_confirmed(request):
                confirmation = _decision_confirmation(
                    domain, jury, dossier, form.cleaned_data, here
                )
                if confirmation is not None:
                    return confirmation_page(request, confirmation)
            if form.is_valid():
                try:
                    decisions.review_decide(
                        domain=domain,
                        jury=jury,
                        dossier=dossier,
                        decision=form.cleaned_data["decision"],
                        motivation=form.cleaned_data["motivation"],
                        reason=form.cleaned_data.get("reason", ""),
                        actor=request.user,
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    label = domain.decision_label(form.cleaned_data["decision"]).lower()
                    sent = (
                        "Elle partira avec les autres décisions, quand vous les enverrez."
                        if domain.decisions_sent_together
                        else f"Un e-mail en informe {domain.recipients_label}."
                    )
                    messages.success(
                        request, f"Décision enregistrée pour « {dossier} » : {label}. {sent}"
                    )
                    return redirect(here)
        else:
            messages.error(request, "Action inconnue.")
    # Every count with the page's figures: the dossiers by decision ("" without one), and
    # the decisions still to send.
    review = "stage_review" if decision_stage == stage else "decision_review"
    counts = {
        value or "none": Q(**{f"{review}__decision": value})
        if value
        else Q(**{f"{review}__isnull": True}) | Q(**{f"{review}__decision": ""})
        for value in [*Decision.values, ""]
    }
    if domain.decisions_sent_together:
        counts["unsent"] = Q(**{f"{review}__decision_sent_at__isnull": True}) & ~Q(
            **{f"{review}__decision": ""}
        )
    page, rows, counts = _ranked_page(
        request,
        domain,
        jury,
        bound,
        counts,
        stage=stage,
        decision_stage=decision_stage,
        group=group,
    )
    unsent = counts.pop("unsent", 0)
    counts = {("" if key == "none" else key): count for key, count in counts.items()}
    decision_labels = _labels(domain.decision_choices())
    # Forms for the rows of the page only: 2,000 decision forms made 4 MB of HTML.
    forms = {}
    for row in rows:
        pk, review = row["dossier"].pk, row["review"]
        row["allowed"] = decisions.DECISION_MOVES.get(review.decision if review else "", set())
        row["decision_label"] = decision_labels.get(review.decision, "") if review else ""
        row["decision_note"] = _decision_note(domain, review, decision_labels)
        if not row["allowed"]:  # the row shows no form any more
            _errors_to_messages(request, bound.get(pk))
        elif pk not in bound:
            row["form_html"] = _unbound_form_html(
                forms,
                frozenset(row["allowed"]),
                "jury/deliberation/includes/decision_form.html",
                DecisionForm,
                pk,
                allowed=row["allowed"],
                domain=domain,
            )
        # A form object only where the row does not print the shared HTML above.
        row["form"] = bound.get(pk) if row["allowed"] else None
    csrf = get_token(request)
    recipients = escape(domain.recipients_label)
    opinion_labels = _labels(AbstractReview.Opinion.choices)
    table_rows = _table_rows(
        rows,
        lambda row: _deliberation_row(
            row,
            csrf=csrf,
            recipients=recipients,
            decisions=decision_labels,
            opinions=opinion_labels,
        ),
        "jury/deliberation/includes/deliberation_row.html",
        {"csrf_token": csrf, "domain": domain},
    )
    return render(
        request,
        "jury/deliberation/deliberation.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "rows": rows,
            "table_rows": table_rows,
            "page_obj": page,
            "counts": [(label, counts[value]) for value, label in decision_labels.items()]
            + [("Sans décision", counts[""])],
            "unsent": unsent,
            "group": group,
            "group_label": dict(groups).get(group, ""),
            "groups": groups,
            "stage": stage,
            "stages": jury_stages(jury) if stage is not None else [],
            "records": decision_record_list(jury),
            "title": f"Délibération — {jury}" + (f" — {dict(groups)[group]}" if group else ""),
        },
        status=400 if request.method == "POST" else 200,
    )


def _decisions_send(request, domain, jury, group: str, here: str):
    """The "send the decisions" button: what it will do, asked first; then the mails."""
    if not domain.decisions_sent_together:
        messages.error(request, "Les décisions partent une à une, dès qu'elles sont prises.")
        return None
    unsent = decisions.decisions_unsent(domain, jury, group).count()
    if not unsent:
        messages.info(request, "Aucune décision à envoyer : toutes sont déjà parties.")
        return redirect(here)
    groups = dict(domain.dossier_group.choices()) if domain.dossier_group else {}
    scope = f" ({domain.dossier_group.label} : {groups[group]})" if group else ""
    plural = "s" if unsent > 1 else ""
    if not is_confirmed(request):
        return confirmation_page(
            request,
            Confirmation(
                title=f"Envoyer {unsent} décision{plural}{scope} ?",
                consequences=[
                    f"{unsent} e-mail{plural} partiront vers {domain.recipients_label}, chacun "
                    "avec le courrier de sa décision, son motif et sa motivation.",
                    "Un courriel envoyé ne se reprend pas ; une décision envoyée ne sera pas "
                    "envoyée une seconde fois.",
                ],
                summary=[("Décisions", str(unsent))]
                + ([(domain.dossier_group.label, groups[group])] if group else []),
                submit_label=f"Envoyer {unsent} décision{plural}",
                cancel_url=here,
                breadcrumb=[
                    (reverse("jury:selection_index"), "Sélection"),
                    (reverse("jury:selection_jury", args=[jury.pk]), str(jury)),
                    (reverse("jury:selection_deliberation", args=[jury.pk]), "Délibération"),
                ],
            ),
        )
    count = decisions.decisions_send(domain=domain, jury=jury, actor=request.user, group=group)
    plural = "s" if count > 1 else ""
    messages.success(request, f"{count} décision{plural} envoyée{plural}.")
    return redirect(here)


def _decision_confirmation(domain, jury, dossier, data: dict, here: str) -> Confirmation | None:
    """What deciding on `dossier` will do and what the jury would decide without; None when
    the decision is not open to this dossier any more (the service then says why)."""
    current = (
        domain.review_model.objects.filter(**{domain.dossier_field: dossier})
        .exclude(decision="")
        .values_list("decision", flat=True)
        .first()
    )
    decision = data["decision"]
    if decision not in decisions.DECISION_MOVES.get(current or "", set()):
        return None
    label = domain.decision_label(decision)
    final = (
        f"Elle pourra encore devenir « {domain.decision_label(Decision.SELECTED)} » ou "
        f"« {domain.decision_label(Decision.NOT_SELECTED)} »."
        if decision == Decision.WAITING_LIST
        else "Elle est définitive : elle ne pourra plus être changée."
    )
    sent = (
        "et envoyée par e-mail à "
        f"{domain.recipients_label} avec les autres décisions, quand vous les enverrez"
        if domain.decisions_sent_together
        else f"et envoyée aussitôt par e-mail à {domain.recipients_label}"
    )
    summary = [("Décision", label)]
    if data.get("reason"):
        summary.append(("Motif", domain.reason_label(decision, data["reason"])))
    summary.append(("Motivation", data["motivation"]))
    return Confirmation(
        title=f"Décider « {label} » pour « {dossier} » ?",
        consequences=[
            f"La décision « {label} » sera enregistrée pour {domain.nouns.the} « {dossier} » "
            f"({domain.dossier_holder(dossier)}) {sent}, avec sa motivation.",
            final,
        ],
        warnings=decision_warnings(domain, dossier),
        warnings_title="Éléments manquants pour décider",
        summary=summary,
        submit_label=f"Confirmer la décision « {label} »",
        cancel_url=f"{here}#dossier-{dossier.pk}",
        breadcrumb=[
            (reverse("jury:selection_index"), "Sélection"),
            (reverse("jury:selection_jury", args=[jury.pk]), str(jury)),
            (reverse("jury:selection_deliberation", args=[jury.pk]), "Délibération"),
        ],
    )


@login_required
@require_GET
def selection_decision_record(request, jury_pk, pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    record = get_object_or_404(DecisionRecord, pk=pk, jury=jury)
    if not record.rendered_at or not record.pdf:
        raise Http404("Ce relevé est en cours de production.")
    local = timezone.localtime(record.rendered_at)
    return FileResponse(
        record.pdf.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"releve-decision-jury-{jury.pk}-v{record.version}-{local:%Y%m%d}.pdf",
    )


@login_required
def selection_letters(request, jury_pk):
    """The mails of the jury's decisions, one form per decision, as its staff rewrite them
    before sending; with the markers each mail fills in."""
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    if not domain.decision_letters:
        raise Http404("Les décisions de ce jury n'ont pas de courrier à rédiger.")
    letters = decisions.decision_letters(domain, jury)
    posted = request.POST.get("decision", "") if request.method == "POST" else None
    if posted is not None and posted not in letters:
        raise Http404
    forms = {}
    for decision, (subject, body) in letters.items():
        if decision == posted:
            form = DecisionLetterForm(request.POST, prefix=decision)
            if form.is_valid():
                try:
                    decisions.decision_letter_save(
                        domain=domain,
                        jury=jury,
                        decision=decision,
                        subject=form.cleaned_data["subject"],
                        body=form.cleaned_data["body"],
                        actor=request.user,
                    )
                except DomainError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(
                        request,
                        f"Le courrier « {domain.decision_label(decision)} » est enregistré.",
                    )
                    return redirect("jury:selection_letters", jury_pk=jury.pk)
        else:
            form = DecisionLetterForm(prefix=decision, initial={"subject": subject, "body": body})
        forms[decision] = form
    saved = {
        letter.decision: letter
        for letter in DecisionLetter.objects.filter(jury=jury).select_related("updated_by")
    }
    return render(
        request,
        "jury/deliberation/letters.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "letters": [
                (decision, domain.decision_label(decision), forms[decision], saved.get(decision))
                for decision in letters
            ],
            "markers": decisions.LETTER_MARKERS.items(),
            "title": f"Courriers de décision — {jury}",
        },
        status=400 if posted is not None else 200,
    )
