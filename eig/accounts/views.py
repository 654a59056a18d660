from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from eig.accounts.forms import ProfileForm
from eig.accounts.services import user_update_profile


@login_required
def dashboard(request):
    """The personal space: one block per role the user holds."""
    return render(request, "accounts/dashboard.html", {"title": "Mon espace"})


@login_required
def profile(request):
    user = request.user
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
