"""The juror's pages: their dossiers of every domain, the scoring of one dossier, their
conflicts of interest.

Every page goes through one access helper of `eig.jury.screens`, which answers 404 to anyone
the evaluation or the jury is not given to (`eig/jury/rules.py`): a juror never learns that a
dossier they may not see exists. In an anonymous jury, the pages name a dossier only by
`domain.label_for_juror` and never show who carries it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_POST

from eig.confirm import Confirmation, confirmation_page, is_confirmed
from eig.exceptions import DomainError, IncompleteDossier
from eig.jury import services as jury_services
from eig.jury.forms import ConflictDeclareForm, EvaluationForm
from eig.jury.registry import get_domain
from eig.jury.screens import (
    conflict_dossiers_for_juror,
    conflict_rows_for_juror,
    dossier_for_juror_conflict,
    evaluation_others_for_juror,
    get_evaluation_for_juror,
    get_jury_member_for_juror,
    hearings_for_juror,
    juror_memberships,
    jury_list_for_juror,
    score_table,
)
from eig.jury.services import StaleEvaluation


def _domain(key: str):
    """The domain named in the URL; an unknown key is a page that does not exist."""
    try:
        return get_domain(key)
    except LookupError:
        raise Http404 from None


@login_required
def dashboard(request):
    # Not reserved to the juror role: anyone signed in gets their (possibly empty) list.
    members = juror_memberships(request.user)
    return render(
        request,
        "jury/juror/dashboard.html",
        {
            "groups": jury_list_for_juror(request.user, members=members),
            "hearings": hearings_for_juror(members),
            "title": "Mes évaluations",
        },
    )


@login_required
def evaluation_detail(request, domain_key, pk):
    domain = _domain(domain_key)
    evaluation = get_evaluation_for_juror(domain, request.user, pk)
    # The grid of the evaluation's stage, among the jury's criteria selected with it.
    criteria = [
        criterion
        for criterion in evaluation.member.jury.criteria.all()
        if criterion.stage_id == evaluation.stage_id
    ]
    if request.method != "POST":
        form = EvaluationForm(
            initial=EvaluationForm.initial_from(evaluation, criteria),
            criteria=criteria,
            disabled=not _stage(evaluation).is_scoring_open(),
        )
        return _evaluation_page(request, domain, evaluation, criteria, form)

    submit = request.POST.get("action") == "submit"
    form = EvaluationForm(request.POST, criteria=criteria)
    if not form.is_valid():
        return _evaluation_page(
            request,
            domain,
            evaluation,
            criteria,
            form,
            error="Corrigez les erreurs signalées ci-dessous.",
        )
    try:
        jury_services.evaluation_save(
            domain=domain,
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
        evaluation = get_evaluation_for_juror(domain, request.user, pk)
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
            domain,
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
        deadline = _stage(evaluation).deadline
        reminder = ""
        if deadline:
            when = formats.date_format(timezone.localtime(deadline), "j F Y à H\\hi")
            reminder = f" Soumettez-le avant le {when} (heure de Paris)."
        messages.success(request, "Brouillon enregistré." + reminder)
    return redirect("jury:evaluation_detail", domain_key=domain.key, pk=evaluation.pk)


def _stage(evaluation):
    """The evaluation's stage, whose deadline (its own, else the jury's) is the one its
    juror meets: an interview stage may close after the written one."""
    stage = evaluation.stage
    stage.jury = evaluation.member.jury  # the same jury, read with the member
    return stage


def _evaluation_page(
    request, domain, evaluation, criteria, form, *, error="", stale=False, missing=()
):
    """The evaluation page; with `error`, a refused save, answered 400 with the juror's
    input kept in `form`. The dossier shows through the domain's juror template, or only
    its `juror_fields` when the domain has none."""
    jury = evaluation.member.jury
    dossier = domain.dossier_of(evaluation)
    label = domain.label_for_juror(dossier, jury)
    saved = {score.criterion_id: score for score in evaluation.scores.all()}
    submitted = evaluation.state == evaluation.State.SUBMITTED
    stage = _stage(evaluation)
    scoring_open = stage.is_scoring_open()
    return render(
        request,
        "jury/juror/evaluation.html",
        {
            "evaluation": evaluation,
            "domain": domain,
            "nouns": domain.nouns,
            "dossier": dossier,
            "label": label,
            "holder": domain.holder_for_juror(dossier, jury),
            "anonymous": domain.is_anonymous(jury),
            "fields": [
                (name, getattr(dossier, attribute)) for attribute, name in domain.juror_fields
            ],
            "jury": jury,
            "call": domain.jury_call(jury),
            **domain.juror_context(dossier),
            "form": form,
            "rows": form.rows(saved if stale else None),
            "stale": stale,
            "saved_overall_comment": evaluation.overall_comment,
            "error": error,
            "missing": missing,
            "deadline": stage.deadline,
            "scoring_open": scoring_open,
            "editable": scoring_open and not submitted,
            "own": score_table(criteria, [evaluation], ["Vos notes"]) if submitted else None,
            "others": evaluation_others_for_juror(domain, evaluation, criteria),
            # The dossier was submitted again with changes since this evaluation was saved.
            "earlier": domain.changes_since(dossier, evaluation.dossier_version),
            "title": f"Évaluation – {label}",
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
def evaluation_update(request, domain_key, pk):
    """The juror takes back a submitted evaluation made on an earlier text of the dossier."""
    domain = _domain(domain_key)
    evaluation = get_evaluation_for_juror(domain, request.user, pk)
    try:
        jury_services.evaluation_update_for_new_version(
            domain=domain, evaluation=evaluation, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Votre évaluation est rouverte, notes conservées : relisez ce qui a changé, "
            "mettez-la à jour puis soumettez-la de nouveau.",
        )
    return redirect("jury:evaluation_detail", domain_key=domain.key, pk=evaluation.pk)


@login_required
def conflicts(request, jury_pk):
    member, domain = get_jury_member_for_juror(request.user, jury_pk)
    return _conflicts_page(request, domain, member)


@login_required
@require_POST
def conflict_declare(request, jury_pk, dossier_pk):
    member, domain = get_jury_member_for_juror(request.user, jury_pk)
    dossier = dossier_for_juror_conflict(domain, member, dossier_pk)
    form = ConflictDeclareForm(request.POST, prefix=_conflict_prefix(dossier.pk))
    if not form.is_valid():
        return _conflicts_page(request, domain, member, invalid=form, dossier_pk=dossier.pk)
    if not is_confirmed(request):
        confirmation = _conflict_confirmation(domain, member, dossier, form.cleaned_data["reason"])
        if confirmation is not None:
            return confirmation_page(request, confirmation)
    try:
        jury_services.conflict_declare(
            domain=domain, member=member, dossier=dossier, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("jury:conflicts", jury_pk=member.jury_id)
    label = domain.label_for_juror(dossier, member.jury)
    messages.success(
        request,
        f"Conflit d'intérêts déclaré pour « {label} » : vous "
        "n'évaluerez pas ce dossier. S'il vous était confié, il est retiré de votre liste et "
        "l'équipe du programme le confiera à un autre juré.",
    )
    return redirect("jury:conflicts", jury_pk=member.jury_id)


def _conflict_confirmation(domain, member, dossier, reason: str) -> Confirmation | None:
    """What declaring the conflict will do; None when the service will refuse it anyway
    (the evaluation is submitted), so that the juror reads why at once."""
    field = domain.dossier_field
    evaluation = domain.evaluation_model.objects.filter(member=member, **{field: dossier}).first()
    if evaluation is not None and evaluation.state == evaluation.State.SUBMITTED:
        return None
    if domain.conflict_model.objects.filter(member=member, **{field: dossier}).exists():
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
    conflicts_url = reverse("jury:conflicts", args=[member.jury_id])
    label = domain.label_for_juror(dossier, member.jury)
    holder = domain.holder_for_juror(dossier, member.jury)
    return Confirmation(
        title=f"Déclarer un conflit d'intérêts avec « {label} » ?",
        consequences=[
            f"Vous déclarez un lien avec {domain.nouns.the} « {label} »"
            f"{f' ({holder})' if holder else ''} : vous ne l'évaluerez pas et ne verrez plus "
            "ses notes.",
            "La déclaration est définitive : seule l'équipe du programme peut revenir dessus.",
        ],
        warnings=warnings,
        summary=[("Motif", reason)],
        submit_label="Confirmer le conflit d'intérêts",
        cancel_url=conflicts_url,
        breadcrumb=[
            (reverse("jury:dashboard"), "Mes évaluations"),
            (conflicts_url, "Conflits d'intérêts"),
        ],
    )


# Dossiers a page of the conflicts page, each with its form; the search finds the others.
CONFLICTS_PAGE_SIZE = 50


def _conflict_prefix(dossier_pk: int) -> str:
    # One form per dossier on the page: a prefix keeps their ids apart.
    return f"conflit-{dossier_pk}"


def _conflicts_page(request, domain, member, *, invalid=None, dossier_pk=None):
    search = request.GET.get("q", "").strip()
    number = request.GET.get("page")
    dossiers = conflict_dossiers_for_juror(domain, member)
    if search and invalid is None:
        # A search reads every dossier's label and holder as the page shows them (an
        # anonymous jury's labels are not columns), then keeps the matching ones.
        rows = conflict_rows_for_juror(domain, member)
        total = len(rows)
        needle = search.casefold()
        rows = [
            row
            for row in rows
            if needle in (row["label"] or "").casefold() or needle in row["holder"].casefold()
        ]
        page = Paginator(rows, CONFLICTS_PAGE_SIZE).get_page(number)
    else:
        # Without a search, only the page's dossiers are read: one page of 2,000.
        paginator = Paginator(dossiers, CONFLICTS_PAGE_SIZE)
        total = paginator.count
        if invalid is not None:
            # The page that shows the form with errors, so that they are in sight.
            order = list(dossiers.values_list("pk", flat=True))
            index = order.index(dossier_pk) if dossier_pk in order else 0
            number = index // CONFLICTS_PAGE_SIZE + 1
        page = paginator.get_page(number)
        page.object_list = conflict_rows_for_juror(domain, member, page.object_list)
    # One reverse() for the page, and forms for its rows only: 2,000 of them made 2.7 MB.
    declare_url = reverse("jury:conflict_declare", args=[member.jury_id, 0])
    declare_url = declare_url.removesuffix("0/")
    for row in page.object_list:
        pk = row["dossier"].pk
        row["form"] = (
            invalid if pk == dossier_pk else ConflictDeclareForm(prefix=_conflict_prefix(pk))
        )
        row["action"] = f"{declare_url}{pk}/"
    return render(
        request,
        "jury/juror/conflicts.html",
        {
            "jury": member.jury,
            "domain": domain,
            "anonymous": domain.is_anonymous(member.jury),
            "nouns": domain.nouns,
            "call": domain.jury_call(member.jury),
            "rows": page.object_list,
            "page_obj": page,
            "total": total,
            "search": search,
            "title": f"Conflits d'intérêts – {member.jury}",
        },
        status=400 if invalid else 200,
    )
