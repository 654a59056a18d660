"""The candidate's interview: once their application is shortlisted for it, they book a
slot themselves, move it or cancel it until 48 hours before (`CANDIDATE_JURY`'s
`booking_notice`), through the jury engine's bookings. Only the candidate reaches their
application (`application._application`); every refusal of the engine is shown as its
French message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from candidates.jury import CANDIDATE_JURY, application_interview
from candidates.selectors import application_for_candidate
from candidates.views.application import _application
from eig.confirm import Confirmation, confirmation_page, is_confirmed
from eig.exceptions import DomainError
from eig.jury.bookings import notice_label, slot_book, slot_booking_calendar, slot_booking_cancel
from eig.jury.models import HearingSlot


def _redirect(call):
    return redirect("candidates:application_interview", slug=call.slug)


def _breadcrumb(call):
    return [
        (reverse("candidates:call_detail", args=[call.slug]), str(call)),
        (reverse("candidates:application", args=[call.slug]), "Ma candidature"),
        (reverse("candidates:application_interview", args=[call.slug]), "Mon entretien"),
    ]


@login_required
def application_interview_detail(request, slug):
    call, application = _application(request, slug)
    interview = application_interview(application)
    state, state_label, _ = application_for_candidate(application, with_history=False)
    return render(
        request,
        "candidates/application_interview.html",
        {
            "call": call,
            "application": application,
            "state": state,
            "state_label": state_label,
            "interview": interview,
            "notice": notice_label(CANDIDATE_JURY.booking_notice),
            "title": f"Mon entretien – Ma candidature – {call}",
        },
    )


def _posted_slot(request) -> HearingSlot:
    """The slot the form names; 404 for one that does not exist (or a forged value)."""
    try:
        pk = int(request.POST.get("slot", ""))
    except ValueError:
        raise Http404 from None
    slot = HearingSlot.objects.filter(pk=pk).first()
    if slot is None:
        raise Http404
    return slot


@login_required
@require_POST
def application_interview_book(request, slug):
    call, application = _application(request, slug)
    slot = _posted_slot(request)
    if call.jury_id is None:
        messages.error(request, "Cet appel n'a pas encore de jury : aucun entretien ne se réserve.")
        return _redirect(call)
    moving = application_interview(application).review
    moving = moving is not None and moving.slot_id is not None
    try:
        slot_book(
            domain=CANDIDATE_JURY,
            jury=call.jury,
            dossier=application,
            slot=slot,
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Votre entretien est {'déplacé' if moving else 'réservé'} : le "
            f"{timezone.localtime(slot.starts_at):%d/%m/%Y à %H:%M} (heure de Paris). Un "
            "courriel vous le confirme, avec l'invitation pour votre agenda.",
        )
    return _redirect(call)


@login_required
@require_POST
def application_interview_cancel(request, slug):
    call, application = _application(request, slug)
    interview = application_interview(application)
    booked = interview.review.slot if interview.review is not None else None
    if booked is None:
        messages.info(request, "Vous n'avez pas d'entretien réservé.")
        return _redirect(call)
    if not is_confirmed(request):
        return confirmation_page(
            request,
            Confirmation(
                title="Annuler votre entretien ?",
                consequences=[
                    f"Le créneau du {timezone.localtime(booked.starts_at):%d/%m/%Y à %H:%M} "
                    "(heure de Paris) sera libéré pour une autre personne.",
                    "Vous pourrez réserver un autre créneau tant qu'il en reste, jusqu'à "
                    f"{notice_label(CANDIDATE_JURY.booking_notice)} avant son début.",
                ],
                submit_label="Confirmer l'annulation de mon entretien",
                cancel_url=reverse("candidates:application_interview", args=[call.slug]),
                breadcrumb=_breadcrumb(call),
            ),
        )
    try:
        slot_booking_cancel(
            domain=CANDIDATE_JURY, jury=interview.jury, dossier=application, actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Votre entretien est annulé. Un courriel vous le confirme.")
    return _redirect(call)


@login_required
def application_interview_ics(request, slug):
    call, application = _application(request, slug)
    review = application_interview(application).review
    if review is None or review.slot_id is None or not review.is_shortlisted:
        raise Http404
    response = HttpResponse(
        slot_booking_calendar(CANDIDATE_JURY, review), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="entretien.ics"'
    return response
