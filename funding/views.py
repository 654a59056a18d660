"""Pages of the conventions: the budget of each promotion for staff, a convention with its
versions and signature steps for staff and the administrations' agents, and the agents'
list of their conventions."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from eig.exceptions import DomainError
from eig.exports import csv_response
from eig.permissions import FORBIDDEN, require_perm
from eig.programme.french import of_name
from eig.programme.money import format_euros, format_quantity
from eig.programme.selectors import rules_for_promotion, user_is_signatory
from funding.forms import ConventionLineForm, ConventionUpdateForm, InForceForm, SignedPdfForm
from funding.models import ConventionVersion
from funding.pdf import host_name
from funding.selectors import (
    convention_history,
    convention_lines,
    convention_missing_signatories,
    convention_signatory_users,
    convention_versions,
    conventions_for_agent,
    get_convention_for_user,
    get_promotion_for_staff,
    promotion_budget,
    promotion_budgets,
    promotion_uncovered_defis,
)
from funding.services import amendments, preparation, signatures

State = ConventionVersion.State

STAFF_ONLY = "Cette étape revient à l'équipe du programme."
STAFF_PAGE = "Cette page est réservée à l'équipe du programme."

# The signature circuit of a version, in order, with the field that dates each step.
STEPS = [
    (State.DRAFT, "created_at"),
    (State.SENT, "sent_at"),
    (State.SIGNED_ADMIN, "signed_admin_at"),
    (State.SIGNED_DINUM, "signed_dinum_at"),
    (State.IN_FORCE, "in_force_on"),
]


def _staff_required(user, convention) -> None:
    require_perm(
        user, "funding.manage_convention", convention, status=FORBIDDEN, message=STAFF_ONLY
    )


# --- Budget (staff) -----------------------------------------------------------------------


@login_required
def budget_index(request):
    require_perm(request.user, "funding.read_budget", status=FORBIDDEN, message=STAFF_PAGE)
    return render(
        request,
        "funding/budget_index.html",
        {"budgets": promotion_budgets(), "title": "Financement des promotions"},
    )


@login_required
def budget(request, pk):
    promotion = get_promotion_for_staff(request.user, pk)
    budget = promotion_budget(promotion)
    rules = rules_for_promotion(promotion)
    return render(
        request,
        "funding/budget.html",
        {
            "promotion": promotion,
            "budget": budget,
            "rules": rules,
            "uncovered": promotion_uncovered_defis(promotion, budget.conventions),
            "states": State.choices,
            "title": f"Budget – {promotion}",
        },
    )


@login_required
@require_POST
def budget_prepare(request, pk):
    promotion = get_promotion_for_staff(request.user, pk)
    require_perm(
        request.user, "funding.prepare_conventions", promotion, status=FORBIDDEN, message=STAFF_ONLY
    )
    try:
        report = preparation.conventions_prepare_for_promotion(
            promotion=promotion, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("funding:budget", pk=promotion.pk)
    if report.created:
        references = ", ".join(convention.reference for convention in report.created)
        count = len(report.created)
        messages.success(
            request,
            f"{count} convention{'s' if count > 1 else ''} "
            f"préparée{'s' if count > 1 else ''} en brouillon : {references}. "
            "Leur PDF est en cours de production.",
        )
    for version in report.amended:
        messages.success(
            request,
            f"Convention {version.convention.reference} complétée ({version.title}) : "
            f"{version.reason}",
        )
    for administration, message in report.refused:
        messages.error(request, f"Convention {of_name(administration)} non préparée. {message}")
    if not (report.created or report.amended or report.refused):
        messages.info(
            request,
            "Aucune convention à préparer : chaque administration signataire a déjà la sienne.",
        )
    return redirect("funding:budget", pk=promotion.pk)


@login_required
def budget_csv(request, pk):
    """The conventions of a promotion for Excel (`eig.exports`): a totals row, then the
    envelope, the committed amount and what is left."""
    promotion = get_promotion_for_staff(request.user, pk)
    budget = promotion_budget(promotion)
    states = dict(State.choices)
    header = [
        "Référence",
        "Administration signataire",
        "Type",
        "Version",
        "État",
        "Nombre d'EIG",
        "Coût total employeur (€)",
        "Montant DINUM (€)",
    ]
    rows = [
        [
            convention.reference,
            convention.administration.name,
            convention.get_kind_display(),
            _version_title(convention.current_number, convention.current_amendment),
            str(states.get(convention.current_state, "")),
            convention.current_eig_count or 0,
            convention.current_total_cost,
            convention.current_cofinancing,
        ]
        for convention in budget.conventions
    ]
    rows += [
        ["Total", "", "", "", "", budget.eig_total, budget.cost_total, budget.committed_total],
        [],
        ["Enveloppe (€)", _or(budget.envelope, "non définie")],
        ["Engagé (€)", budget.committed_total],
        ["Disponible (€)", _or(budget.available, "non défini")],
    ]
    return csv_response(f"budget-{promotion.code}.csv", header, rows)


def _or(amount, missing: str):
    return missing if amount is None else amount


def _version_title(number, amendment) -> str:
    # The model's wording ("convention initiale", "avenant n° 2"), from the annotated values.
    if number is None:
        return ""
    return ConventionVersion(number=number, amendment=amendment).title


# --- A convention (staff and agents) ----------------------------------------------------


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), r"d/m/Y à H\hi")
    return date_format(value, "d/m/Y")


def _timeline(version: ConventionVersion) -> list[dict]:
    """The steps of the signature circuit, with their dates as far as the version went."""
    states = [state for state, _ in STEPS]
    reached = states.index(version.state) if version.state in states else len(STEPS)
    return [
        {
            "label": State(state).label,
            "when": _when(getattr(version, date_field)),
            "done": index < reached or version.state == State.IN_FORCE,
            "current": index == reached,
        }
        for index, (state, date_field) in enumerate(STEPS)
    ]


def _content_defis(content: dict) -> list[dict]:
    """The défis of a version's content, months written the French way (« 10 », « 5,5 »)."""
    return [
        {
            **defi,
            "lines": [
                {**line, "months": format_quantity(line["months"])} for line in defi["lines"]
            ],
            "host_name": host_name(defi),
        }
        for defi in content.get("defis", [])
    ]


def _update_forms(convention, current, data=None):
    """The line forms and the signatories / reason form of the staff's change."""
    frame = getattr(convention.promotion, "contract_frame", None)
    allows_part_time = bool(frame and frame.allows_part_time)
    bands = list(convention.promotion.salary_bands.order_by("min_years"))
    line_forms = [
        ConventionLineForm(data, line=line, bands=bands, allows_part_time=allows_part_time)
        for line in convention_lines(convention)
    ]
    form = ConventionUpdateForm(data, convention=convention, draft=current.state == State.DRAFT)
    return line_forms, form


def _detail(request, convention, *, line_forms=None, update_form=None, status=200):
    user = request.user
    versions = convention_versions(convention)
    current = versions[0] if versions else None
    manages = user.has_perm("funding.manage_convention", convention)
    can_update = manages and current is not None and current.state != State.SUPERSEDED
    if can_update and update_form is None:
        line_forms, update_form = _update_forms(convention, current)
    content = current.content if current else {}
    signatories = convention_signatory_users(convention) if manages else None
    return render(
        request,
        "funding/convention_detail.html",
        {
            "convention": convention,
            "current": current,
            "versions": versions,
            "timeline": _timeline(current) if current else [],
            "content": content,
            "defis": _content_defis(content),
            "events": convention_history(convention),
            "can_update": can_update,
            # Why the text cannot be sent yet, and who will receive it (staff only).
            "missing_signatories": convention_missing_signatories(content),
            "signatory_users": signatories,
            "line_forms": line_forms,
            "update_form": update_form,
            "sign_form": SignedPdfForm() if current and current.state == State.SENT else None,
            "in_force_form": InForceForm()
            if current and current.state == State.SIGNED_DINUM
            else None,
            "title": f"Convention {convention.reference}",
        },
        status=status,
    )


@login_required
def convention_detail(request, pk):
    convention = get_convention_for_user(request.user, pk)
    return _detail(request, convention)


def _version(request, pk, number) -> ConventionVersion:
    convention = get_convention_for_user(request.user, pk)
    return get_object_or_404(
        ConventionVersion.objects.select_related(
            "convention__promotion", "convention__administration"
        ),
        convention=convention,
        number=number,
    )


def _back(version):
    return redirect("funding:convention_detail", pk=version.convention_id)


@login_required
@require_POST
def version_send(request, pk, number):
    version = _version(request, pk, number)
    _staff_required(request.user, version.convention)
    try:
        signatures.convention_version_send(version=version, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if convention_signatory_users(version.convention):
            messages.success(
                request,
                f"{capfirst(version.the_title)} est envoyé{version.agreement} pour signature à "
                f"l'administration signataire ({version.convention.administration}) : ses "
                "signataires en reçoivent le PDF par e-mail.",
            )
        else:
            messages.warning(
                request,
                f"{capfirst(version.the_title)} est envoyé{version.agreement}, mais "
                f"l'administration ({version.convention.administration}) n'a désigné aucun "
                "signataire sur la "
                f"plateforme : personne ne l'a reçu{version.agreement}. Transmettez le PDF par "
                "e-mail puis déposez vous-même le PDF signé, ou faites désigner un signataire.",
            )
    return _back(version)


@login_required
@require_POST
def version_sign_admin(request, pk, number):
    version = _version(request, pk, number)
    form = SignedPdfForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(version)
    try:
        signatures.convention_version_sign_admin(
            version=version, actor=request.user, upload=form.cleaned_data["signed_pdf"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{capfirst(version.the_title)} signé{version.agreement} par l'administration "
            f"signataire ({version.convention.administration}) est déposé{version.agreement} : "
            "la DINUM contresigne.",
        )
    return _back(version)


@login_required
@require_POST
def version_sign_dinum(request, pk, number):
    version = _version(request, pk, number)
    _staff_required(request.user, version.convention)
    try:
        signatures.convention_version_sign_dinum(version=version, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{capfirst(version.the_title)} est signé{version.agreement} par la DINUM."
        )
    return _back(version)


@login_required
@require_POST
def version_in_force(request, pk, number):
    version = _version(request, pk, number)
    _staff_required(request.user, version.convention)
    form = InForceForm(request.POST)
    if not form.is_valid():
        for error in form.errors["in_force_on"]:
            messages.error(request, error)
        return _back(version)
    on = form.cleaned_data["in_force_on"]
    try:
        signatures.convention_version_enter_into_force(version=version, actor=request.user, on=on)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{capfirst(version.the_title)} est en vigueur depuis le {on.strftime('%d/%m/%Y')}.",
        )
    return _back(version)


@login_required
@require_POST
def convention_update(request, pk):
    convention = get_convention_for_user(request.user, pk)
    _staff_required(request.user, convention)
    versions = convention_versions(convention)
    current = versions[0]
    line_forms, form = _update_forms(convention, current, data=request.POST)
    if not (form.is_valid() and all(line_form.is_valid() for line_form in line_forms)):
        return _detail(request, convention, line_forms=line_forms, update_form=form, status=400)
    data = form.cleaned_data
    try:
        version = amendments.convention_update(
            convention=convention,
            actor=request.user,
            lines={line_form.line.pk: line_form.values() for line_form in line_forms},
            signatory=data.get("signatory"),
            dinum_signatory=data.get("dinum_signatory"),
            reason=data.get("reason", ""),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("funding:convention_detail", pk=convention.pk)
    if version.pk != current.pk:
        messages.success(
            request,
            f"{capfirst(version.the_title)} est créé{version.agreement} en brouillon "
            f"(DINUM : {format_euros(version.cofinancing)}) ; {current.the_title} "
            "reste consultable. Envoyez la nouvelle version une fois son PDF produit.",
        )
    elif version.content == current.content:
        messages.info(request, "Aucune modification : la convention est inchangée.")
    else:
        messages.success(
            request,
            f"Le brouillon est mis à jour (DINUM : {format_euros(version.cofinancing)}) ; "
            "son PDF est en cours de production.",
        )
    return redirect("funding:convention_detail", pk=convention.pk)


def _pdf_response(field, filename: str) -> FileResponse:
    return FileResponse(
        field.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@login_required
def version_pdf(request, pk, number):
    version = _version(request, pk, number)
    # A draft being rendered again keeps its old file until then: it is not its text.
    if not (version.pdf and version.rendered_at):
        raise Http404("Le PDF de cette version est en cours de production.")
    return _pdf_response(
        version.pdf, f"convention-{version.convention.reference}-v{version.number}.pdf"
    )


@login_required
def version_signed_pdf(request, pk, number):
    version = _version(request, pk, number)
    if not version.signed_pdf:
        raise Http404("Aucun PDF signé pour cette version.")
    return _pdf_response(
        version.signed_pdf,
        f"convention-{version.convention.reference}-v{version.number}-signee.pdf",
    )


# --- The agents' conventions ----------------------------------------------------------------


@login_required
def my_conventions(request):
    user = request.user
    if not user.has_perm("funding.list_own_conventions"):
        if user.has_perm("funding.read_budget"):
            # Staff follow every convention from the budget pages.
            return redirect("funding:budget_index")
        raise Http404
    conventions = list(conventions_for_agent(user))
    # One question for the page, not one per convention (`funding.sign_convention` would ask
    # it for each): a signatory signs only for the administration they are a member of.
    signs_for = user.administration_id if user_is_signatory(user, user.administration_id) else None
    for convention in conventions:
        convention.to_sign = (
            convention.current_state == State.SENT and convention.administration_id == signs_for
        )
    return render(
        request,
        "funding/my_conventions.html",
        {
            "conventions": conventions,
            "to_sign": sum(convention.to_sign for convention in conventions),
            "states": State.choices,
            "title": "Mes conventions",
        },
    )
