"""Pages of the administrations: "Mon administration" (ask to join, create, leave, change),
and the members page where verified members and staff decide on requests and name
signatories."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from eig.exceptions import DomainError
from eig.permissions import FORBIDDEN, require_perm
from eig.programme import selectors, services
from eig.programme.forms import (
    AdministrationCreateForm,
    AdministrationJoinForm,
    MembershipDecisionForm,
    MembershipLeaveForm,
)
from eig.programme.french import of_name, the_name
from eig.programme.models import AdministrationMembership

State = AdministrationMembership.State


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "projects:my_defis"


def _joined_message(request, membership) -> None:
    if membership.state == State.VERIFIED:
        messages.success(
            request,
            f"Vous êtes membre {of_name(membership.administration)} : votre adresse vérifiée est "
            "sur l'un de ses domaines.",
        )
    else:
        messages.success(
            request,
            f"Votre demande pour rejoindre {the_name(membership.administration)} est envoyée : un "
            "membre de l'administration ou l'équipe du programme la confirmera. Vous recevrez un "
            "e-mail.",
        )


@login_required
def administration_choose(request):
    """An agent says which administration they work for: ask to join one that exists, or
    create it; a member sees their membership, leaves it or asks to change."""
    user = request.user
    if not user.has_perm("programme.choose_administration"):
        messages.error(
            request, "Seuls les agents publics rattachent leur compte à une administration."
        )
        return redirect("accounts:dashboard")
    current = selectors.membership_open_for(user)
    join_form = AdministrationJoinForm(prefix="join", leaving=current)
    create_form = AdministrationCreateForm(prefix="create", leaving=current)
    leave_form = MembershipLeaveForm(prefix="leave")
    # The forms share the page; the submit button's value says which one was sent.
    action = request.POST.get("action") if request.method == "POST" else None
    try:
        if action == "join":
            join_form = AdministrationJoinForm(request.POST, prefix="join", leaving=current)
            if join_form.is_valid():
                data = join_form.cleaned_data
                service = services.membership_change if current else services.membership_request
                membership = service(
                    user=user, administration=data["administration"], note=data["note"]
                )
                _joined_message(request, membership)
                if membership.state == State.VERIFIED:
                    return redirect(_next_url(request))
                return redirect("programme:administration_choose")
        elif action == "create":
            create_form = AdministrationCreateForm(request.POST, prefix="create", leaving=current)
            if create_form.is_valid():
                fields = dict(create_form.cleaned_data)
                fields.pop("confirm", None)
                administration = services.administration_create(user=user, **fields)
                messages.success(
                    request,
                    f"Votre administration ({administration}) est inscrite ; vous en êtes membre "
                    "et signataire. "
                    "L'équipe du programme en est informée.",
                )
                return redirect(_next_url(request))
        elif action == "leave" and current is not None:
            leave_form = MembershipLeaveForm(request.POST, prefix="leave")
            if leave_form.is_valid():
                services.membership_end(
                    membership=current,
                    actor=user,
                    reason="Demande retirée" if current.state == State.REQUESTED else "Départ",
                )
                messages.success(
                    request,
                    f"Votre demande pour rejoindre {the_name(current.administration)} est retirée."
                    if current.state == State.REQUESTED
                    else f"Vous ne faites plus partie {of_name(current.administration)}.",
                )
                return redirect("programme:administration_choose")
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("programme:administration_choose")
    return render(
        request,
        "programme/administration_choose.html",
        {
            "current": current,
            "history": selectors.user_memberships(user),
            "join_form": join_form,
            "create_form": create_form,
            "leave_form": leave_form,
            "next": request.GET.get("next", ""),
            "title": "Mon administration",
        },
    )


@login_required
def administration_members(request, pk):
    """Requests to decide and members of an administration, for its verified members and
    staff."""
    administration = selectors.get_administration_for_member(request.user, pk)
    requests = list(selectors.administration_requests(administration))
    members = list(selectors.administration_members(administration))
    return render(
        request,
        "programme/administration_members.html",
        {
            "administration": administration,
            "requests": requests,
            "members": members,
            "has_signatory": any(member.is_signatory for member in members),
            "history": selectors.administration_history(administration),
            "decision_form": MembershipDecisionForm(),
            "title": f"Membres – {administration}",
        },
    )


def _members_page(membership):
    return redirect("programme:administration_members", pk=membership.administration_id)


@login_required
@require_POST
def membership_decide(request, pk, decision):
    membership = selectors.get_membership_for_manager(request.user, pk)
    form = MembershipDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _members_page(membership)
    service = services.membership_approve if decision == "approve" else services.membership_refuse
    try:
        service(membership=membership, actor=request.user, reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        person = membership.user
        messages.success(
            request,
            f"{person} est membre {of_name(membership.administration)} ; un e-mail l'en informe."
            if decision == "approve"
            else f"La demande de {person} est refusée ; un e-mail l'en informe.",
        )
    return _members_page(membership)


@login_required
@require_POST
def membership_signatory(request, pk):
    membership = selectors.get_membership_for_manager(request.user, pk)
    require_perm(
        request.user,
        "programme.name_signatory",
        membership.administration,
        status=FORBIDDEN,
        message=f"Seuls les signataires {of_name(membership.administration)} et l'équipe du "
        "programme désignent les signataires.",
    )
    is_signatory = request.POST.get("signatory") == "1"
    try:
        services.membership_set_signatory(
            membership=membership, actor=request.user, is_signatory=is_signatory
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{membership.user} est signataire des conventions "
            f"{of_name(membership.administration)}."
            if is_signatory
            else f"{membership.user} n'est plus signataire.",
        )
    return _members_page(membership)


@login_required
@require_POST
def membership_remove(request, pk):
    """Staff end someone's membership (a person who left the administration)."""
    membership = selectors.get_membership_for_manager(request.user, pk)
    require_perm(
        request.user,
        "programme.remove_membership",
        membership,
        status=FORBIDDEN,
        message="Cette étape revient à l'équipe du programme.",
    )
    form = MembershipDecisionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.membership_end(membership=membership, actor=request.user, reason=reason)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, f"{membership.user} ne fait plus partie {of_name(membership.administration)}."
        )
    return _members_page(membership)
