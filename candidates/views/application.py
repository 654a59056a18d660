"""The candidate's pages: their application to a call, section by section, the wishes,
submission and withdrawal. Only the candidate reaches their application; anyone else is
sent to sign in (anonymous) or told the page is for candidates."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from candidates import retention, services
from candidates.anonymity import JURORS_NEVER_SEE, JURORS_SEE, identity_leaks
from candidates.forms import WishesForm, WithdrawForm, application_section_form_class
from candidates.jury import application_interview
from candidates.models import Wish
from candidates.sections import SECTIONS_BY_KEY
from candidates.selectors import (
    application_for_candidate,
    candidate_application,
    candidate_call_detail,
    position_choices,
)
from eig.confirm import Confirmation, confirmation_page, is_confirmed
from eig.exceptions import DomainError, IncompleteDossier

NOT_CANDIDATE = (
    "Cette page est celle des candidat·es : votre compte n'a pas ce rôle. Créez un compte de "
    "candidat·e, avec une autre adresse, pour postuler."
)


def _candidate_call(request, slug):
    call = candidate_call_detail(slug)
    if not request.user.has_perm("candidates.apply_to_call", call):
        raise PermissionDenied(NOT_CANDIDATE)
    return call


def _application(request, slug):
    """The call and the person's application to it; 404 when they have none."""
    call = _candidate_call(request, slug)
    application = candidate_application(request.user, call)
    if application is None:
        raise Http404
    return call, application


def _sections_status(application) -> list[dict]:
    missing = services.application_missing(application)
    return [
        {
            "section": section,
            "complete": section.key not in missing,
            "missing": missing.get(section.key, ""),
        }
        for section in services.application_sections(application.call)
    ]


@login_required
def application_detail(request, slug):
    call = _candidate_call(request, slug)
    application = candidate_application(request.user, call)
    now = timezone.now()
    context = {
        "call": call,
        "application": application,
        "is_open": call.is_open(now),
        "now": now,
        "jurors_see": JURORS_SEE,
        "jurors_never_see": JURORS_NEVER_SEE,
    }
    if application is not None:
        state, state_label, events = application_for_candidate(application)
        context |= {
            "state": state,
            "state_label": state_label,
            "sections": _sections_status(application),
            "editable": application.state == application.State.DRAFT and call.is_open(now),
            "wishes_open": services.wishes_open(application, now),
            "wishes_withdrawable": application.state in services.WISH_WITHDRAWAL_STATES,
            "events": events,
            "interview": application_interview(application, now=now),
        }
    context["title"] = f"Ma candidature – {call}"
    return render(request, "candidates/application_detail.html", context)


@login_required
@require_POST
def application_start(request, slug):
    call = _candidate_call(request, slug)
    try:
        services.application_start(call=call, candidate=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("candidates:application", slug=call.slug)
    first = services.application_sections(call)[0]
    return redirect("candidates:application_section", slug=call.slug, section=first.key)


def _next_section(application, key):
    """The section after `key`; None after the last, and for the wishes of a call that asks
    them after the pre-selection (they are not a section of the application)."""
    sections = services.application_sections(application.call)
    keys = [section.key for section in sections]
    if key not in keys:
        return None
    index = keys.index(key)
    return sections[index + 1] if index + 1 < len(sections) else None


@login_required
def application_section(request, slug, section):
    call, application = _application(request, slug)
    current = SECTIONS_BY_KEY.get(section)
    if current is None or current not in services.application_sections(call):
        raise Http404
    if current.special == "wishes":
        return redirect("candidates:application_wishes", slug=call.slug)
    editable = application.state == application.State.DRAFT and call.is_open()
    # A copy: an invalid form writes its values on its instance, and the page must keep
    # showing the application as saved.
    form = application_section_form_class(current)(
        request.POST or None, request.FILES or None, instance=copy.copy(application)
    )
    if request.method == "POST":
        if not editable:
            messages.error(request, "Cette candidature ne peut plus être modifiée.")
            return redirect("candidates:application", slug=call.slug)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in current.fields}
            try:
                services.application_update_section(
                    application=application, actor=request.user, section=current, data=data
                )
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("candidates:application", slug=call.slug)
            messages.success(request, f"Section « {current.title} » enregistrée.")
            following = _next_section(application, current.key)
            if "save_continue" in request.POST and following:
                return redirect(
                    "candidates:application_section", slug=call.slug, section=following.key
                )
            if "save_continue" in request.POST:
                return redirect("candidates:application", slug=call.slug)
            return redirect("candidates:application_section", slug=call.slug, section=current.key)
        messages.error(
            request,
            "La section n'est pas enregistrée : corrigez les erreurs signalées. Les autres "
            "sections ne changent pas.",
        )
    return render(
        request,
        "candidates/application_section.html",
        {
            "call": call,
            "application": application,
            "section": current,
            "sections": _sections_status(application),
            "form": form,
            "editable": editable,
            "title": f"{current.title} – Ma candidature",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def application_wishes(request, slug):
    call, application = _application(request, slug)
    editable = services.wishes_open(application)
    positions = position_choices(call, application.specialty) if application.specialty else []
    initial = {f"voeu_{wish.rank}": wish.position_id for wish in application.held_wishes}
    form = WishesForm(request.POST or None, initial=initial, positions=positions)
    if request.method == "POST":
        if not editable:
            messages.error(request, "Ces vœux ne peuvent plus être modifiés.")
            return redirect("candidates:application", slug=call.slug)
        if form.is_valid():
            try:
                services.application_set_wishes(
                    application=application,
                    actor=request.user,
                    position_ids=form.cleaned_data["positions"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Vos vœux sont enregistrés.")
                following = _next_section(application, "voeux")
                if "save_continue" in request.POST and following:
                    return redirect(
                        "candidates:application_section", slug=call.slug, section=following.key
                    )
                return redirect("candidates:application_wishes", slug=call.slug)
        messages.error(
            request, "Vos vœux ne sont pas enregistrés : corrigez les erreurs signalées."
        )
    return render(
        request,
        "candidates/application_wishes.html",
        {
            "call": call,
            "application": application,
            "section": SECTIONS_BY_KEY["voeux"],
            "sections": _sections_status(application),
            "form": form,
            "positions": positions,
            "editable": editable,
            "title": f"Vœux – Ma candidature – {call}",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def application_submit(request, slug):
    call, application = _application(request, slug)
    leaks = identity_leaks(application, request.user) if call.anonymous else []
    if leaks and not is_confirmed(request):
        detail = reverse("candidates:application", args=[call.slug])
        return confirmation_page(
            request,
            Confirmation(
                title="Votre candidature vous nomme : la déposer quand même ?",
                consequences=[
                    "La présélection de cet appel est anonyme : les jurés liront vos réponses "
                    "sans votre nom ni vos coordonnées. Or certaines réponses vous font "
                    "reconnaître.",
                    "Vous pouvez les modifier avant de déposer, jusqu'à la clôture de l'appel.",
                ],
                warnings=leaks,
                warnings_title="Ce que les jurés liraient",
                submit_label="Déposer quand même",
                cancel_url=detail,
                breadcrumb=[
                    (reverse("candidates:call_detail", args=[call.slug]), str(call)),
                    (detail, "Ma candidature"),
                ],
            ),
        )
    try:
        services.application_submit(application=application, actor=request.user)
    except IncompleteDossier as error:
        messages.error(request, error.message + " " + " ".join(error.missing))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Votre candidature est déposée. Un courriel vous le confirme.")
    return redirect("candidates:application", slug=call.slug)


@login_required
@require_POST
def application_withdraw(request, slug):
    call, application = _application(request, slug)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("note", [])))
        return redirect("candidates:application", slug=call.slug)
    if not is_confirmed(request):
        detail = reverse("candidates:application", args=[call.slug])
        return confirmation_page(
            request,
            Confirmation(
                title=f"Retirer votre candidature à « {call} » ?",
                consequences=[
                    "Votre candidature ne sera pas examinée par le jury.",
                    "Le retrait est définitif : pour cet appel, vous ne pourrez pas en déposer "
                    "une autre avec ce compte.",
                ],
                summary=[("Motif", form.cleaned_data["note"] or "—")],
                submit_label="Confirmer le retrait de ma candidature",
                cancel_url=detail,
                breadcrumb=[
                    (reverse("candidates:call_detail", args=[call.slug]), str(call)),
                    (detail, "Ma candidature"),
                ],
            ),
        )
    try:
        services.application_withdraw(
            application=application, actor=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Votre candidature est retirée. Un courriel vous le confirme.")
    return redirect("candidates:application", slug=call.slug)


@login_required
@require_POST
def wish_withdraw(request, slug, pk):
    call, application = _application(request, slug)
    wish = get_object_or_404(
        Wish.objects.select_related("position__defi"),
        pk=pk,
        application=application,
        withdrawn_at__isnull=True,
    )
    if not is_confirmed(request):
        detail = reverse("candidates:application", args=[call.slug])
        return confirmation_page(
            request,
            Confirmation(
                title=f"Retirer votre vœu n° {wish.rank} ?",
                consequences=[
                    f"Vous ne serez plus candidat·e au poste « {wish.position} » du défi "
                    f"« {wish.position.defi} ».",
                    "Vos autres vœux gardent leur rang. Le retrait est définitif.",
                ],
                submit_label="Confirmer le retrait du vœu",
                cancel_url=detail,
                breadcrumb=[
                    (reverse("candidates:call_detail", args=[call.slug]), str(call)),
                    (detail, "Ma candidature"),
                ],
            ),
        )
    try:
        services.wish_withdraw(wish=wish, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Votre vœu n° {wish.rank} est retiré.")
    return redirect("candidates:application", slug=call.slug)


@login_required
def pool_reconsent(request, slug):
    """The candidate renews their consent to stay in the talent pool (the mail of
    `retention.retention_run` leads here)."""
    call, application = _application(request, slug)
    if request.method == "POST":
        try:
            retention.application_reconsent(application=application, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, "Merci : votre candidature reste deux ans de plus dans le vivier."
            )
        return redirect("candidates:pool_reconsent", slug=call.slug)
    application = retention.application_with_purge_date(application.pk)
    return render(
        request,
        "candidates/pool_reconsent.html",
        {
            "call": call,
            "application": application,
            "in_pool": application.purpose == "vivier" and application.purged_at is None,
            "title": f"Vivier des talents – {call}",
        },
    )
