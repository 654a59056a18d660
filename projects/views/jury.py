"""The juror's pages: their dossiers, the scoring of one défi, their conflicts of interest.

Every page goes through one access helper of `projects.selectors`, which answers 404 to
anyone the evaluation or the jury is not given to: a juror never learns that a dossier they
may not see exists.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_POST

from eig.exceptions import DomainError, IncompleteDossier
from eig.jury import services as jury_services
from eig.jury.forms import ConflictDeclareForm, EvaluationForm
from eig.jury.services import StaleEvaluation
from projects.jury import DEFI_JURY
from projects.models import DefiConflict, DefiEvaluation
from projects.sections import SECTIONS
from projects.selectors import (
    defi_changes_since,
    defi_conflict_rows_for_juror,
    defi_evaluation_others_for_juror,
    defi_for_juror_conflict,
    defi_hearings_for_juror,
    get_defi_evaluation_for_juror,
    get_jury_member_for_juror,
    jury_list_for_juror,
    score_table,
)
from projects.views.confirm import Confirmation, confirmation_page, is_confirmed


@login_required
def jury_dashboard(request):
    # Not reserved to the juror role: anyone signed in gets their (possibly empty) list.
    return render(
        request,
        "projects/jury/dashboard.html",
        {
            "groups": jury_list_for_juror(request.user),
            "hearings": defi_hearings_for_juror(request.user),
            "title": "Mes évaluations",
        },
    )


@login_required
def evaluation_detail(request, pk):
    evaluation = get_defi_evaluation_for_juror(request.user, pk)
    criteria = list(evaluation.member.jury.criteria.all())
    if request.method != "POST":
        form = EvaluationForm(
            initial=EvaluationForm.initial_from(evaluation, criteria),
            criteria=criteria,
            disabled=not evaluation.member.jury.is_scoring_open(),
        )
        return _evaluation_page(request, evaluation, criteria, form)

    submit = request.POST.get("action") == "submit"
    form = EvaluationForm(request.POST, criteria=criteria)
    if not form.is_valid():
        return _evaluation_page(
            request,
            evaluation,
            criteria,
            form,
            error="Corrigez les erreurs signalées ci-dessous.",
        )
    try:
        jury_services.evaluation_save(
            domain=DEFI_JURY,
            evaluation=evaluation,
            actor=request.user,
            version=form.cleaned_data["version"],
            scores=form.scores(),
            overall_comment=form.cleaned_data["overall_comment"],
            submit=submit,
        )
    except DomainError as error:
        # Nothing was written. Show what is saved now (another tab may have written since
        # this request began) next to the juror's input, which stays in the form.
        evaluation = get_defi_evaluation_for_juror(request.user, pk)
        stale = isinstance(error, StaleEvaluation)
        if stale:
            # The input now carries the saved version: saving again after merging is a
            # deliberate overwrite, not a silent one.
            data = request.POST.copy()
            data["version"] = evaluation.version
            form = EvaluationForm(data, criteria=criteria)
        missing = error.missing if isinstance(error, IncompleteDossier) else []
        return _evaluation_page(
            request,
            evaluation,
            criteria,
            form,
            error=error.message,
            stale=stale,
            missing=[criterion for criterion in criteria if criterion.name in missing],
        )

    if submit:
        messages.success(
            request,
            "Votre évaluation est soumise. Pour la modifier, demandez à l'équipe du programme "
            "de la rouvrir.",
        )
    else:
        deadline = evaluation.member.jury.scoring_deadline
        reminder = ""
        if deadline:
            when = formats.date_format(timezone.localtime(deadline), "j F Y à H\\hi")
            reminder = f" Soumettez-le avant le {when} (heure de Paris)."
        messages.success(request, "Brouillon enregistré." + reminder)
    return redirect("projects:evaluation_detail", pk=evaluation.pk)


def _evaluation_page(request, evaluation, criteria, form, *, error="", stale=False, missing=()):
    """The evaluation page; with `error`, a refused save, answered 400 with the juror's
    input kept in `form`."""
    jury = evaluation.member.jury
    saved = {score.criterion_id: score for score in evaluation.scores.all()}
    submitted = evaluation.state == evaluation.State.SUBMITTED
    scoring_open = jury.is_scoring_open()
    return render(
        request,
        "projects/jury/evaluation.html",
        {
            "evaluation": evaluation,
            "defi": evaluation.defi,
            "jury": jury,
            "sections": SECTIONS,
            "form": form,
            "rows": form.rows(saved if stale else None),
            "stale": stale,
            "saved_overall_comment": evaluation.overall_comment,
            "error": error,
            "missing": missing,
            "scoring_open": scoring_open,
            "editable": scoring_open and not submitted,
            "own": score_table(criteria, [evaluation], ["Vos notes"]) if submitted else None,
            "others": defi_evaluation_others_for_juror(evaluation, criteria),
            # The défi was submitted again with changes since this evaluation was saved.
            "earlier": defi_changes_since(evaluation.defi, evaluation.dossier_version),
            "title": f"Évaluation – {evaluation.defi}",
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def evaluation_update(request, pk):
    """The juror takes back a submitted evaluation made on an earlier text of the défi."""
    evaluation = get_defi_evaluation_for_juror(request.user, pk)
    try:
        jury_services.evaluation_update_for_new_version(
            domain=DEFI_JURY, evaluation=evaluation, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Votre évaluation est rouverte, notes conservées : relisez ce qui a changé, "
            "mettez-la à jour puis soumettez-la de nouveau.",
        )
    return redirect("projects:evaluation_detail", pk=evaluation.pk)


@login_required
def evaluation_pitch_deck(request, pk):
    defi = get_defi_evaluation_for_juror(request.user, pk).defi
    if not defi.pitch_deck:
        raise Http404
    return FileResponse(
        defi.pitch_deck.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"defi-{defi.pk}-presentation.pdf",
    )


@login_required
def jury_conflicts(request, jury_pk):
    member = get_jury_member_for_juror(request.user, jury_pk)
    return _conflicts_page(request, member)


@login_required
@require_POST
def jury_conflict_declare(request, jury_pk, defi_pk):
    member = get_jury_member_for_juror(request.user, jury_pk)
    defi = defi_for_juror_conflict(member, defi_pk)
    form = ConflictDeclareForm(request.POST, prefix=_conflict_prefix(defi.pk))
    if not form.is_valid():
        return _conflicts_page(request, member, invalid=form, defi_pk=defi.pk)
    if not is_confirmed(request):
        confirmation = _conflict_confirmation(member, defi, form.cleaned_data["reason"])
        if confirmation is not None:
            return confirmation_page(request, confirmation)
    try:
        jury_services.conflict_declare(
            domain=DEFI_JURY, member=member, dossier=defi, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("projects:jury_conflicts", jury_pk=member.jury_id)
    messages.success(
        request,
        f"Conflit d'intérêts déclaré pour « {defi} » : vous n'évaluerez pas ce dossier. "
        "S'il vous était confié, il est retiré de votre liste et l'équipe du programme le "
        "confiera à un autre juré.",
    )
    return redirect("projects:jury_conflicts", jury_pk=member.jury_id)


def _conflict_confirmation(member, defi, reason: str) -> Confirmation | None:
    """What declaring the conflict will do; None when the service will refuse it anyway
    (the evaluation is submitted), so that the juror reads why at once."""
    evaluation = DefiEvaluation.objects.filter(member=member, defi=defi).first()
    if evaluation is not None and evaluation.state == evaluation.State.SUBMITTED:
        return None
    if DefiConflict.objects.filter(member=member, defi=defi).exists():
        return None  # already declared: nothing more happens
    warnings = []
    if evaluation is not None and evaluation.has_scores:
        warnings.append(
            "Votre brouillon d'évaluation de ce dossier (notes et commentaires) sera supprimé."
        )
    elif evaluation is not None:
        warnings.append(
            "Ce dossier vous est confié : il vous sera retiré et l'équipe du programme le "
            "confiera à un autre juré."
        )
    conflicts_url = reverse("projects:jury_conflicts", args=[member.jury_id])
    return Confirmation(
        title=f"Déclarer un conflit d'intérêts avec « {defi} » ?",
        consequences=[
            f"Vous déclarez un lien avec le défi « {defi} » ({defi.administration}) : vous "
            "ne l'évaluerez pas et ne verrez plus ses notes.",
            "La déclaration est définitive : seule l'équipe du programme peut revenir dessus.",
        ],
        warnings=warnings,
        summary=[("Motif", reason)],
        submit_label="Confirmer le conflit d'intérêts",
        cancel_url=conflicts_url,
        breadcrumb=[
            (reverse("projects:jury_dashboard"), "Mes évaluations"),
            (conflicts_url, "Conflits d'intérêts"),
        ],
    )


# Dossiers a page of the conflicts page.
CONFLICTS_PAGE_SIZE = 100


def _conflict_prefix(defi_pk: int) -> str:
    # One form per dossier on the page: a prefix keeps their ids apart.
    return f"conflit-{defi_pk}"


def _conflicts_page(request, member, *, invalid=None, defi_pk=None):
    rows = defi_conflict_rows_for_juror(member)
    total = len(rows)
    search = request.GET.get("q", "").strip()
    if search and invalid is None:
        needle = search.casefold()
        rows = [
            row
            for row in rows
            if needle in (row["defi"].title or "").casefold()
            or needle in row["defi"].administration.name.casefold()
        ]
    # The page that shows a form with errors, so that they are in sight.
    number = request.GET.get("page")
    if invalid is not None:
        index = next((i for i, row in enumerate(rows) if row["defi"].pk == defi_pk), 0)
        number = index // CONFLICTS_PAGE_SIZE + 1
    page = Paginator(rows, CONFLICTS_PAGE_SIZE).get_page(number)
    # One reverse() for the page, and forms for its rows only: 2,000 of them made 2.7 MB.
    declare_url = reverse("projects:jury_conflict_declare", args=[member.jury_id, 0])
    declare_url = declare_url.removesuffix("0/")
    for row in page.object_list:
        pk = row["defi"].pk
        row["form"] = invalid if pk == defi_pk else ConflictDeclareForm(prefix=_conflict_prefix(pk))
        row["action"] = f"{declare_url}{pk}/"
    return render(
        request,
        "projects/jury/conflicts.html",
        {
            "jury": member.jury,
            "call": member.jury.project_call,
            "rows": page.object_list,
            "page_obj": page,
            "total": total,
            "search": search,
            "title": f"Conflits d'intérêts – {member.jury}",
        },
        status=400 if invalid else 200,
    )
