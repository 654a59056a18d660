"""Staff pages of the défi selection: the juries, their pool and the assignment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from eig.exceptions import DomainError
from eig.jury import services as jury_services
from eig.jury.models import JuryMember
from eig.jury.selectors import (
    jury_member_loads,
    jury_members_active,
    jury_progress,
)
from projects.filters import AssignmentFilter
from projects.forms import AssignmentRunForm, EvaluationAddForm
from projects.jury import DEFI_JURY
from projects.models import DefiEvaluation
from projects.selectors import (
    defi_assignment_rows,
    defi_assignment_summary,
    defi_conflict_count,
    get_jury_for_staff,
    jury_list_for_staff,
)

# A page of the assignment table: 2,000 défis at once made 2.3 MB of HTML.
ASSIGNMENT_PAGE_SIZE = 100


@login_required
def selection_index(request):
    # The access helper is per jury; the list has the same rule.
    if not request.user.is_programme_staff:
        get_jury_for_staff(request.user, 0)
    return render(
        request,
        "projects/selection/index.html",
        {"juries": jury_list_for_staff(), "title": "Sélection des défis"},
    )


@login_required
def selection_jury(request, jury_pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    return render(
        request,
        "projects/selection/jury.html",
        {
            "jury": jury,
            "call": jury.project_call,
            "progress": jury_progress(DEFI_JURY, jury),
            "members": jury_member_loads(DEFI_JURY, jury),
            "criteria": jury.criteria.all(),
            "title": f"Jury — {jury}",
        },
    )


# The badge of an evaluation's state in the assignment table.
STATE_BADGES = {
    DefiEvaluation.State.SUBMITTED: "fr-badge--success",
    DefiEvaluation.State.DRAFT: "fr-badge--info",
}


_MANUAL = '<span class="fr-badge fr-badge--sm">à la main</span>'


def _assignment_row(row: dict, *, expected: int, csrf: str) -> str:
    """One `<tr>` of the assignment table from its row (`_assignment_rows`), as the
    template printed it: the page joins ~100 of them with ~300 jurors, no lookup per cell."""
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
        f"<td>{escape(row['administration'])}</td>"
        f'<td><ul class="fr-raw-list">{"".join(items) or "<li>Aucun juré</li>"}</ul></td>'
        f"<td>{lacking}</td></tr>"
    )


def _assignment_rows(defis, jury) -> list[dict]:
    """The rows of the assignment table as the template prints them: ~300 jurors a page,
    so labels, badges and links are made here once rather than per cell by the template."""
    # One reverse() for the page, as the ranking does.
    unassign_url = reverse("projects:selection_unassign", args=[jury.pk, 0]).removesuffix(
        "0/retirer/"
    )
    labels = dict(DefiEvaluation.State.choices)
    rows = []
    for defi in defis:
        evaluations = [
            {
                "member": str(evaluation.member),
                "state": labels[evaluation.state],
                "badge": STATE_BADGES.get(evaluation.state, ""),
                "manual": evaluation.manual,
                "unassign_url": f"{unassign_url}{evaluation.pk}/retirer/"
                if evaluation.state == DefiEvaluation.State.PENDING
                else "",
            }
            for evaluation in defi.evaluations.all()
        ]
        rows.append(
            {
                "pk": defi.pk,
                "title": str(defi),
                "administration": str(defi.administration),
                "evaluations": evaluations,
                "assigned": defi.assigned,
                "lacking": defi.assigned < jury.jurors_per_dossier,
            }
        )
    return rows


@login_required
def selection_assignment(request, jury_pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    # Loaded once for the conflicts, the filter and the form (each would query them).
    members = list(jury_members_active(jury))
    run_form = AssignmentRunForm()
    add_form = EvaluationAddForm(jury=jury, members=members)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "assign":
            run_form = AssignmentRunForm(request.POST)
            if run_form.is_valid():
                result = jury_services.jury_assign(
                    domain=DEFI_JURY,
                    jury=jury,
                    actor=request.user,
                    rebalance=run_form.cleaned_data["rebalance"],
                )
                level = messages.SUCCESS if result.feasible else messages.WARNING
                messages.add_message(request, level, result.explain())
                return redirect("projects:selection_assignment", jury_pk=jury.pk)
        elif action == "notify":
            count = jury_services.jury_notify_jurors(domain=DEFI_JURY, jury=jury)
            if count:
                messages.success(request, f"{count} juré(s) ont reçu leur liste de dossiers.")
            else:
                messages.info(request, "Aucun juré n'a de nouveau dossier à apprendre.")
            return redirect("projects:selection_assignment", jury_pk=jury.pk)
        elif action == "add":
            add_form = EvaluationAddForm(request.POST, jury=jury, members=members)
            if add_form.is_valid():
                try:
                    jury_services.evaluation_assign(
                        domain=DEFI_JURY,
                        member=add_form.cleaned_data["member"],
                        dossier=add_form.cleaned_data["defi"],
                        actor=request.user,
                    )
                except DomainError as error:
                    add_form.add_error(None, error.message)
                else:
                    messages.success(request, "Le dossier est confié à ce juré.")
                    return redirect("projects:selection_assignment", jury_pk=jury.pk)
        else:
            messages.error(request, "Action inconnue.")
    filterset = AssignmentFilter(
        request.GET, queryset=defi_assignment_rows(jury), jury=jury, members=members
    )
    summary = defi_assignment_summary(jury)
    paginator = Paginator(filterset.qs, ASSIGNMENT_PAGE_SIZE)
    if filterset.is_valid() and not any(filterset.form.cleaned_data.values()):
        # Unfiltered, the table has every défi: the summary counted them already.
        paginator.count = summary["total"]
    page = paginator.get_page(request.GET.get("page"))
    rows = _assignment_rows(page.object_list, jury)
    csrf = get_token(request)
    table_rows = SafeString(
        "".join(_assignment_row(row, expected=jury.jurors_per_dossier, csrf=csrf) for row in rows)
    )
    return render(
        request,
        "projects/selection/assignment.html",
        {
            "jury": jury,
            "call": jury.project_call,
            "run_form": run_form,
            "add_form": add_form,
            "filter": filterset,
            "page_obj": page,
            "defis": rows,
            "table_rows": table_rows,
            "summary": summary,
            "conflict_count": defi_conflict_count(jury, members),
            "progress": jury_progress(DEFI_JURY, jury),
            "title": f"Affectation — {jury}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def selection_unassign(request, jury_pk, pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    evaluation = get_object_or_404(DefiEvaluation, pk=pk, member__jury=jury)
    try:
        jury_services.evaluation_unassign(domain=DEFI_JURY, evaluation=evaluation)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"« {evaluation.defi} » est retiré à {evaluation.member}.")
    return redirect("projects:selection_assignment", jury_pk=jury.pk)


@login_required
@require_POST
def selection_member_withdraw(request, jury_pk, pk):
    jury = get_jury_for_staff(request.user, jury_pk)
    member = get_object_or_404(JuryMember, pk=pk, jury=jury)
    try:
        result = jury_services.member_withdraw(domain=DEFI_JURY, member=member, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        level = messages.SUCCESS if result.feasible else messages.WARNING
        messages.add_message(
            request,
            level,
            f"{member} est retiré du jury ; ses dossiers sont réaffectés. " + result.explain(),
        )
    return redirect("projects:selection_jury", jury_pk=jury.pk)
