import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from eig.confirm import Confirmation, confirmation_page, is_confirmed
from eig.exceptions import DomainError, IncompleteDossier
from eig.permissions import FORBIDDEN, require_perm
from eig.programme.selectors import rules_for_promotion
from projects import services
from projects.filters import CatalogueFilter
from projects.forms import (
    DefiInviteForm,
    DefiPositionFormSet,
    DefiStartForm,
    PitchDeckForm,
    defi_section_form_class,
)
from projects.models import DefiInvitation, ProjectCall
from projects.sections import SECTIONS, SECTIONS_BY_KEY
from projects.selectors import simulation as simulations
from projects.selectors.calls import (
    call_detail,
    call_list_open,
    call_list_upcoming,
    defi_catalogue,
    defi_public_detail,
    programme_figures,
)
from projects.selectors.defis import (
    defi_evaluation_count,
    defi_history,
    defi_list_for_editor,
    defi_missing_sections,
    defi_pending_invitations,
    defi_review_for_agent,
    defi_section_status,
    get_defi_for_user,
)

# Public pages


def home(request):
    return render(
        request,
        "projects/home.html",
        {
            "open_calls": call_list_open(),
            "upcoming_calls": call_list_upcoming(),
            "figures": programme_figures(),
            "title": "Accueil",
        },
    )


def call_page(request, slug):
    call = call_detail(slug)
    require_perm(request.user, "projects.read_call", call)
    return render(
        request,
        "projects/call_detail.html",
        {
            "call": call,
            "is_open": call.is_open(),
            "title": call.title,
        },
    )


def catalogue(request):
    filterset = CatalogueFilter(request.GET, queryset=defi_catalogue())
    page = Paginator(filterset.qs, 24).get_page(request.GET.get("page"))
    return render(
        request,
        "projects/catalogue.html",
        {
            "filter": filterset,
            "page_obj": page,
            "title": "Les défis du programme",
        },
    )


def catalogue_detail(request, pk):
    defi = defi_public_detail(pk)
    return render(request, "projects/catalogue_detail.html", {"defi": defi, "title": defi.title})


# The agent's space


@login_required
def my_defis(request):
    return render(
        request,
        "projects/my_defis.html",
        {
            "defis": defi_list_for_editor(request.user),
            "open_calls": call_list_open(),
            "title": "Mes défis",
        },
    )


@login_required
def defi_start(request, slug):
    call = get_object_or_404(ProjectCall, slug=slug)
    user = request.user
    if not user.has_perm("projects.start_defi", call):
        if not user.is_agent:
            messages.error(
                request,
                "Seuls les agents publics déposent des défis. Créez un compte "
                "d'agent avec votre adresse professionnelle.",
            )
            return redirect("projects:call_detail", slug=call.slug)
        # An agent whose membership is not verified yet.
        messages.info(
            request,
            "Indiquez d'abord l'administration pour laquelle vous déposez le défi ; si votre "
            "demande est en attente, le dépôt s'ouvre dès qu'elle est confirmée.",
        )
        choose = reverse("programme:administration_choose")
        return redirect(f"{choose}?{urlencode({'next': request.path})}")
    form = DefiStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            defi = services.defi_create(call=call, author=user, title=form.cleaned_data["title"])
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("projects:call_detail", slug=call.slug)
        messages.success(request, "Votre brouillon est créé : il est enregistré à chaque étape.")
        return redirect("projects:defi_section", pk=defi.pk, section=SECTIONS[0].key)
    return render(
        request,
        "projects/defi_start.html",
        {
            "call": call,
            "form": form,
            "is_open": call.is_open(),
            "title": "Nouveau défi",
        },
    )


@login_required
def defi_detail(request, pk):
    defi = get_defi_for_user(request.user, pk)
    return render(
        request,
        "projects/defi_detail.html",
        {
            "defi": defi,
            "sections": defi_section_status(defi),
            "transitions": defi_history(defi),
            "invite_form": DefiInviteForm(),
            "pending_invitations": defi_pending_invitations(defi),
            "call_open": defi.call.is_open(),
            "review": defi_review_for_agent(defi),
            "simulation": simulations.defi_simulation(defi),
            "title": str(defi),
        },
    )


def _next_section(key):
    keys = [s.key for s in SECTIONS]
    index = keys.index(key)
    return keys[index + 1] if index + 1 < len(keys) else None


@login_required
def defi_section(request, pk, section):
    defi = get_defi_for_user(request.user, pk, write=True)
    current = SECTIONS_BY_KEY.get(section)
    if current is None:
        raise Http404
    editable = defi.state == defi.State.DRAFT and defi.call.is_open()
    simulation, simulation_problems = None, []
    if current.special == "positions":
        rules = rules_for_promotion(defi.call.promotion)
        initial = [
            {
                "specialty": p.specialty,
                "missions": p.missions,
                "skills": p.skills,
                "salary_band": p.salary_band_id,
                "work_time": p.work_time,
            }
            for p in defi.positions.all()
        ]
        form = DefiPositionFormSet(
            request.POST or None, initial=initial, prefix="profils", form_kwargs={"rules": rules}
        )
    elif current.special == "pitch_deck":
        form = PitchDeckForm(request.POST or None, request.FILES or None)
    else:
        # A copy: an invalid form writes its values on its instance, and the page must keep
        # showing the défi as saved.
        form = defi_section_form_class(current)(request.POST or None, instance=copy.copy(defi))

    if request.method == "POST":
        if not editable:
            messages.error(
                request,
                "Ce défi ne peut plus être modifié : "
                + (
                    "l'appel est clos."
                    if not defi.call.is_open()
                    else "rouvrez-le en brouillon d'abord."
                ),
            )
            return redirect("projects:defi_detail", pk=defi.pk)
        if form.is_valid():
            try:
                _save_section(defi, current, form, request.user)
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("projects:defi_detail", pk=defi.pk)
            messages.success(request, f"Section « {current.title} » enregistrée.")
            following = _next_section(current.key)
            if "save_continue" in request.POST and following:
                return redirect("projects:defi_section", pk=defi.pk, section=following)
            if "save_continue" in request.POST:
                return redirect("projects:defi_preview", pk=defi.pk)
            return redirect("projects:defi_section", pk=defi.pk, section=current.key)
        messages.error(
            request,
            "La section n'est pas enregistrée : corrigez les erreurs "
            "signalées. Les autres sections ne changent pas.",
        )
    if current.special == "positions" and rules is not None:
        # After a refused save, the panel simulates what the agent typed, as the live
        # recompute does; otherwise the saved positions.
        positions = None
        if request.method == "POST" and editable:
            positions, simulation_problems = form.simulated_positions()
        simulation = simulations.defi_simulation(defi, positions, rules=rules)
    return render(
        request,
        "projects/defi_section.html",
        {
            "defi": defi,
            "section": current,
            "form": form,
            "simulation": simulation,
            "simulation_problems": simulation_problems,
            "sections": defi_section_status(defi),
            "editable": editable,
            "next_section": _next_section(current.key),
            "title": f"{current.title} – {defi}",
        },
    )


def _save_section(defi, section, form, user):
    if section.special == "positions":
        services.defi_set_positions(defi=defi, actor=user, positions=form.positions())
    elif section.special == "pitch_deck":
        services.defi_attach_pitch_deck(
            defi=defi, actor=user, upload=form.cleaned_data["pitch_deck"]
        )
    else:
        services.defi_update_section(
            defi=defi,
            actor=user,
            data={name: form.cleaned_data[name] for name in section.fields},
        )


@login_required
def defi_preview(request, pk):
    defi = get_defi_for_user(request.user, pk)
    return render(
        request,
        "projects/defi_preview.html",
        {
            "defi": defi,
            "missing": defi_missing_sections(defi),
            "sections": SECTIONS,
            "call_open": defi.call.is_open(),
            "simulation": simulations.defi_simulation(defi),
            "title": f"Aperçu – {defi}",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def defi_simulation(request, pk):
    """The simulation panel alone, for simulation.js: of the positions the agent is typing
    (the positions formset's data, read leniently), or of the saved ones without data."""
    defi = get_defi_for_user(request.user, pk)
    rules = rules_for_promotion(defi.call.promotion)
    simulation, problems = None, []
    if rules is not None:
        data = request.POST if request.method == "POST" else request.GET
        positions = None
        if any(key.startswith("profils-") for key in data):
            formset = DefiPositionFormSet(data, prefix="profils", form_kwargs={"rules": rules})
            positions, problems = formset.simulated_positions()
        simulation = simulations.defi_simulation(defi, positions, rules=rules)
    return render(
        request,
        "projects/includes/simulation.html",
        {
            "defi": defi,
            "simulation": simulation,
            "simulation_problems": problems,
            "fragment": True,
        },
    )


_ACTIONS = {
    "submit": (
        services.defi_submit,
        "Votre défi est déposé. Un accusé de réception vous est envoyé par e-mail.",
    ),
    "reopen": (
        services.defi_reopen,
        "Le défi est rouvert en brouillon : pensez à le déposer de nouveau avant la clôture.",
    ),
    "withdraw": (services.defi_withdraw, "Le défi est retiré de l'appel."),
    "restore": (services.defi_restore, "Le défi est de nouveau un brouillon."),
}


@login_required
@require_POST
def defi_action(request, pk, action):
    defi = get_defi_for_user(request.user, pk)
    if action not in _ACTIONS:
        raise Http404
    require_perm(
        request.user,
        f"projects.{action}_defi",
        defi,
        status=FORBIDDEN,
        message="L'équipe du programme modifie les défis dans l'administration.",
    )
    service, success = _ACTIONS[action]
    if action == "withdraw" and not is_confirmed(request):
        confirmation = _withdraw_confirmation(defi)
        if confirmation is not None:
            return confirmation_page(request, confirmation)
    try:
        service(defi=defi, actor=request.user)
    except IncompleteDossier as error:
        messages.error(request, error.message + " " + " ".join(error.missing))
        return redirect("projects:defi_preview", pk=defi.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect("projects:defi_detail", pk=defi.pk)


def _withdraw_confirmation(defi) -> Confirmation | None:
    """What withdrawing the défi will do; None when the service will refuse it anyway (call
    closed, state), so that the agent reads why at once."""
    call = defi.call
    if not call.is_open() or defi.state not in services.AGENT_TRANSITIONS["withdraw"][0]:
        return None
    closes = timezone.localtime(call.closes_at)
    warnings = []
    if defi.state == defi.State.SUBMITTED:
        warnings.append(
            "Le défi est déposé : retiré, il ne sera plus examiné par le jury, sauf si vous le "
            "reprenez et le déposez de nouveau avant la clôture."
        )
    evaluations = defi_evaluation_count(defi)
    if evaluations:
        warnings.append(
            f"{evaluations} juré(s) ont déjà commencé à l'évaluer : leurs évaluations ne "
            "compteront plus."
        )
    detail_url = reverse("projects:defi_detail", args=[defi.pk])
    return Confirmation(
        title=f"Retirer « {defi} » de l'appel ?",
        consequences=[
            f"Le défi « {defi} » sera retiré de l'appel « {call} ».",
            f"Vous pourrez le reprendre en brouillon jusqu'à la clôture de l'appel, le "
            f"{closes:%d/%m/%Y à %H:%M} (heure de Paris) ; après, le retrait est définitif.",
        ],
        warnings=warnings,
        submit_label="Confirmer le retrait du défi",
        cancel_url=detail_url,
        breadcrumb=[
            (reverse("projects:my_defis"), "Mes défis"),
            (detail_url, str(defi)),
        ],
    )


@login_required
@require_POST
def defi_invite(request, pk):
    defi = get_defi_for_user(request.user, pk, write=True)
    form = DefiInviteForm(request.POST)
    if form.is_valid():
        try:
            services.defi_invite(defi=defi, actor=request.user, email=form.cleaned_data["email"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Invitation envoyée à {form.cleaned_data['email']}.")
    else:
        messages.error(request, " ".join(form.errors["email"]))
    return redirect(reverse("projects:defi_detail", kwargs={"pk": defi.pk}) + "#co-redaction")


@login_required
def defi_invitation_accept(request, token):
    invitation = get_object_or_404(DefiInvitation.objects.select_related("defi"), token=token)
    if request.method == "POST":
        try:
            defi = services.defi_invitation_accept(invitation=invitation, user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("accounts:dashboard")
        messages.success(request, f"Vous co-rédigez désormais « {defi} ».")
        return redirect("projects:defi_detail", pk=defi.pk)
    return render(
        request,
        "projects/invitation_accept.html",
        {
            "invitation": invitation,
            "title": "Invitation à co-rédiger un défi",
        },
    )


@login_required
def defi_pitch_deck(request, pk):
    defi = get_defi_for_user(request.user, pk)
    if not defi.pitch_deck:
        raise Http404
    return FileResponse(
        defi.pitch_deck.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"defi-{defi.pk}-presentation.pdf",
    )
