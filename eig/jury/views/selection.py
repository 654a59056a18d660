"""Staff pages of the selection, for every domain: the juries, their pool and the
assignment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from eig.exceptions import DomainError
from eig.jury import services as jury_services
from eig.jury.filters import AssignmentFilter
from eig.jury.forms import AssignmentRunForm, EvaluationAddForm
from eig.jury.models import AbstractEvaluation, JuryMember
from eig.jury.registry import domain_for
from eig.jury.screens import (
    assignment_counts,
    assignment_evaluations,
    assignment_rows,
    assignment_summary,
    conflict_count,
    get_jury_for_staff,
    jury_list_for_staff,
    stage_asked,
)
from eig.jury.selectors import (
    jury_member_loads,
    jury_members_listed,
    jury_progress,
)
from eig.jury.stages import jury_stages
from eig.jury.views.paging import counted_page

EvaluationState = AbstractEvaluation.State
# A page of the assignment table: 2,000 dossiers at once made 2.3 MB of HTML; 50 rows, as
# the other tables with forms.
ASSIGNMENT_PAGE_SIZE = 50


@login_required
def selection_index(request):
    # The access helper is per jury; the list has the same rule.
    if not request.user.has_perm("jury.manage_jury"):
        get_jury_for_staff(request.user, 0)
    juries = list(jury_list_for_staff())
    for jury in juries:
        domain = domain_for(jury)
        call = domain.jury_call(jury)
        jury.nouns = domain.nouns
        jury.call_label = _call_label(call)
    return render(
        request,
        "jury/selection/index.html",
        {"juries": juries, "title": "Sélection"},
    )


def _call_label(call) -> str:
    """The call a jury selects for, with its promotion when it has one."""
    if call is None:
        return "—"
    promotion = getattr(call, "promotion", None)
    title = getattr(call, "title", None) or str(call)
    return f"{title} ({promotion})" if promotion else title


@login_required
def selection_jury(request, jury_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    members = jury_member_loads(domain, jury)
    return render(
        request,
        "jury/selection/jury.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "progress": jury_progress(domain, jury),
            "members": members,
            # One reverse() and one CSRF token for the jurors' withdrawal forms.
            "withdraw_prefix": reverse(
                "jury:selection_member_withdraw", args=[jury.pk, 0]
            ).removesuffix("0/retrait/"),
            "csrf": get_token(request),
            "criteria": jury.criteria.all(),
            "title": f"Jury — {jury}",
        },
    )


# The badge of an evaluation's state in the assignment table.
STATE_BADGES = {
    EvaluationState.SUBMITTED: "fr-badge--success",
    EvaluationState.DRAFT: "fr-badge--info",
}


def _assignment_row(row: dict, *, expected: int, csrf: str) -> str:
    """One `<tr>` of the assignment table from its row (`_assignment_rows`), as the
    template printed it: the page joins ~50 of them with ~150 jurors, no lookup per cell."""
    items = []
    for evaluation in row["evaluations"]:
        member = escape(evaluation["member"])
        manual = (
            '<span class="fr-badge fr-badge--sm">à la main</span>' if evaluation["manual"] else ""
        )
        form = (
            f'<form method="post" action="{evaluation["unassign_url"]}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            f'<button type="submit" class="fr-btn fr-btn--sm fr-btn--tertiary-no-outline"'
            f' title="Retirer « {escape(row["title"])} » à {member}">Retirer</button></form>'
            if evaluation["unassign_url"]
            else ""
        )
        items.append(
            f"<li>{member} "
            f'<span class="fr-badge fr-badge--sm {evaluation["badge"]}">'
            f"{escape(evaluation['state'])}</span>{manual}{form}</li>"
        )
    assigned = row["assigned"]
    lacking = (
        f'<span class="fr-badge fr-badge--warning fr-badge--sm">{expected} attendus, '
        f"{assigned} affecté{'s' if assigned != 1 else ''}</span>"
        if row["lacking"]
        else "—"
    )
    return (
        f"<tr><td>{row['pk']}</td><td>{escape(row['title'])}</td>"
        f"<td>{escape(row['holder'])}</td>"
        f'<td><ul class="fr-raw-list">{"".join(items) or "<li>Aucun juré</li>"}</ul></td>'
        f"<td>{lacking}</td></tr>"
    )


def _assignment_rows(domain, dossiers, jury, stage=None) -> list[dict]:
    """The rows of the assignment table as the template prints them: ~50 dossiers and
    ~150 jurors a page, so labels, badges and links are made here once rather than per
    cell by the template."""
    # One reverse() for the page, as the ranking does.
    unassign_url = reverse("jury:selection_unassign", args=[jury.pk, 0]).removesuffix("0/retirer/")
    labels = dict(EvaluationState.choices)
    dossiers = list(dossiers)
    by_dossier = assignment_evaluations(domain, [dossier.pk for dossier in dossiers], stage)
    rows = []
    for dossier in dossiers:
        evaluations = [
            {
                "member": str(evaluation["member"]),
                "state": labels[evaluation["state"]],
                "badge": STATE_BADGES.get(evaluation["state"], ""),
                "manual": evaluation["manual"],
                "unassign_url": f"{unassign_url}{evaluation['pk']}/retirer/"
                if evaluation["state"] == EvaluationState.PENDING
                else "",
            }
            for evaluation in by_dossier.get(dossier.pk, ())
        ]
        rows.append(
            {
                "pk": dossier.pk,
                "title": domain.dossier_label(dossier),
                "holder": domain.dossier_holder(dossier),
                "evaluations": evaluations,
                "assigned": dossier.assigned,
                "lacking": dossier.assigned < jury.jurors_per_dossier,
            }
        )
    return rows


@login_required
def selection_assignment(request, jury_pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    # A later stage (an interview) is assigned on its own: `?etape=`.
    stage = stage_asked(request, jury)
    here = reverse("jury:selection_assignment", args=[jury.pk]) + (
        f"?etape={stage.position}" if stage is not None else ""
    )
    # Loaded once for the conflicts, the filter and the form (each would query them).
    members = list(jury_members_listed(domain, jury))
    run_form = AssignmentRunForm()
    add_form = EvaluationAddForm(domain=domain, jury=jury, members=members)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "assign":
            run_form = AssignmentRunForm(request.POST)
            if run_form.is_valid():
                result = jury_services.jury_assign(
                    domain=domain,
                    jury=jury,
                    actor=request.user,
                    rebalance=run_form.cleaned_data["rebalance"],
                    stage=stage,
                )
                level = messages.SUCCESS if result.feasible else messages.WARNING
                messages.add_message(request, level, result.explain())
                return redirect(here)
        elif action == "notify":
            count = jury_services.jury_notify_jurors(domain=domain, jury=jury)
            if count:
                messages.success(request, f"{count} juré(s) ont reçu leur liste de dossiers.")
            else:
                messages.info(request, "Aucun juré n'a de nouveau dossier à apprendre.")
            return redirect(here)
        elif action == "add":
            add_form = EvaluationAddForm(request.POST, domain=domain, jury=jury, members=members)
            if add_form.is_valid():
                try:
                    jury_services.evaluation_assign(
                        domain=domain,
                        member=add_form.cleaned_data["member"],
                        dossier=add_form.cleaned_data["dossier"],
                        actor=request.user,
                        stage=stage,
                    )
                except DomainError as error:
                    add_form.add_error(None, error.message)
                else:
                    messages.success(request, "Le dossier est confié à ce juré.")
                    return redirect(here)
        else:
            messages.error(request, "Action inconnue.")
    filterset = AssignmentFilter(
        request.GET,
        queryset=assignment_rows(domain, jury, stage),
        domain=domain,
        jury=jury,
        members=members,
        stage=stage,
    )
    # The page and its counts in one query (window counts over the filtered rows).
    page, totals = counted_page(
        filterset.qs,
        request.GET.get("page"),
        ASSIGNMENT_PAGE_SIZE,
        assignment_counts(jury),
        sums={"due": "assigned", "submitted": "submitted"},
    )
    if filterset.is_valid() and not any(filterset.form.cleaned_data.values()):
        # Unfiltered, the page counted every dossier and summed its evaluations already.
        summary = {key: totals[key] for key in ("total", *assignment_counts(jury))}
        progress = {"due": totals["due"] or 0, "submitted": totals["submitted"] or 0}
    else:
        summary = assignment_summary(domain, jury, stage)
        progress = jury_progress(domain, jury, stage)
    rows = _assignment_rows(domain, page.object_list, jury, stage)
    csrf = get_token(request)
    table_rows = SafeString(
        "".join(_assignment_row(row, expected=jury.jurors_per_dossier, csrf=csrf) for row in rows)
    )
    return render(
        request,
        "jury/selection/assignment.html",
        {
            "jury": jury,
            "domain": domain,
            "nouns": domain.nouns,
            "call": domain.jury_call(jury),
            "run_form": run_form,
            "add_form": add_form,
            "filter": filterset,
            "page_obj": page,
            "rows": rows,
            "table_rows": table_rows,
            "summary": summary,
            "conflict_count": conflict_count(domain, jury, members),
            "progress": progress,
            "stage": stage,
            "stages": jury_stages(jury) if (jury.stage_count or 0) > 1 else [],
            "title": f"Affectation — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def selection_unassign(request, jury_pk, pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    evaluation = get_object_or_404(domain.evaluation_model, pk=pk, member__jury=jury)
    try:
        jury_services.evaluation_unassign(domain=domain, evaluation=evaluation, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        label = domain.dossier_label(domain.dossier_of(evaluation))
        messages.success(request, f"« {label} » est retiré à {evaluation.member}.")
    return redirect("jury:selection_assignment", jury_pk=jury.pk)


@login_required
@require_POST
def selection_member_withdraw(request, jury_pk, pk):
    jury, domain = get_jury_for_staff(request.user, jury_pk)
    member = get_object_or_404(JuryMember, pk=pk, jury=jury)
    try:
        result = jury_services.member_withdraw(domain=domain, member=member, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        level = messages.SUCCESS if result.feasible else messages.WARNING
        messages.add_message(
            request,
            level,
            f"{member} est retiré du jury ; ses dossiers sont réaffectés. " + result.explain(),
        )
    return redirect("jury:selection_jury", jury_pk=jury.pk)
