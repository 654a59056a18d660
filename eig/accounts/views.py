import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from eig.accounts.forms import AccountEraseForm, ProfileForm
from eig.accounts.personal_data import user_personal_data
from eig.accounts.services import user_erase, user_update_profile
from eig.accounts.todos import todos_by_role, user_todos
from eig.exceptions import DomainError
from eig.permissions import require_perm


@login_required
def dashboard(request):
    """The personal space: what waits for the user first ("À faire", from every app's
    provider), then one block per role the user holds."""
    require_perm(request.user, "accounts.read_user", request.user)
    todos = user_todos(request.user)
    return render(
        request,
        "accounts/dashboard.html",
        {"todo_groups": todos_by_role(todos), "todo_count": len(todos), "title": "Mon espace"},
    )


@login_required
def profile(request):
    user = request.user
    require_perm(user, "accounts.edit_user", user)
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "job_title": user.job_title,
            "phone": user.phone,
        },
    )
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=user, **form.cleaned_data)
        messages.success(request, "Votre profil est enregistré.")
        return redirect("accounts:dashboard")
    return render(request, "accounts/profile.html", {"form": form, "title": "Mon profil"})


@login_required
def personal_data(request):
    """Download what the platform holds about oneself, or delete one's account (the service
    refuses it to staff, with the reason)."""
    require_perm(request.user, "accounts.read_user", request.user)
    form = AccountEraseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_erase(user=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("accounts:personal_data")
        logout(request)
        messages.success(request, "Votre compte et vos données personnelles sont supprimés.")
        return redirect("projects:home")
    return render(
        request, "accounts/personal_data.html", {"form": form, "title": "Mes données personnelles"}
    )


@login_required
def personal_data_export(request):
    require_perm(request.user, "accounts.export_user", request.user)
    data = user_personal_data(request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-eig-{stamp}.json"'
    return response


def too_many_requests(request):
    """The page allauth shows when a rate limit is hit (its own is bare English HTML)."""
    return render(request, "429.html", status=429)
