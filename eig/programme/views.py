from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from eig.programme.forms import AdministrationCreateForm, AdministrationJoinForm
from eig.programme.services import administration_create, user_join_administration


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "projects:my_defis"


@login_required
def administration_choose(request):
    """An agent says which administration they work for: join one that exists, or create it."""
    if not request.user.is_agent:
        messages.error(
            request, "Seuls les agents publics rattachent leur compte à une administration."
        )
        return redirect("accounts:dashboard")
    join_form = AdministrationJoinForm(prefix="join")
    create_form = AdministrationCreateForm(prefix="create")
    # The two forms share the page; the submit button's value says which one was sent.
    if request.method == "POST" and request.POST.get("action") == "join":
        join_form = AdministrationJoinForm(request.POST, prefix="join")
        if join_form.is_valid():
            administration = join_form.cleaned_data["administration"]
            user_join_administration(user=request.user, administration=administration)
            messages.success(request, f"Vous êtes rattaché·e à {administration}.")
            return redirect(_next_url(request))
    elif request.method == "POST":
        create_form = AdministrationCreateForm(request.POST, prefix="create")
        if create_form.is_valid():
            administration = administration_create(user=request.user, **create_form.cleaned_data)
            messages.success(request, f"{administration} est créée et vous y êtes rattaché·e.")
            return redirect(_next_url(request))
    return render(
        request,
        "programme/administration_choose.html",
        {
            "join_form": join_form,
            "create_form": create_form,
            "next": request.GET.get("next", ""),
            "title": "Mon administration",
        },
    )
