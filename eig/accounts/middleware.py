from allauth.mfa.models import Authenticator
from django.shortcuts import redirect
from django.urls import Resolver404, resolve


def user_has_totp(user) -> bool:
    # The session's user comes with the flag (eig.accounts.backends); any other user object
    # costs one query.
    flag = getattr(user, "has_totp", None)
    if flag is None:
        flag = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    return flag


def _is_account_page(path: str) -> bool:
    # allauth's own pages (login, logout, password, e-mail, reauthentication and the MFA
    # pages) stay open: the way to enrol goes through them.
    try:
        match = resolve(path)
    except Resolver404:
        return True
    return match.url_name is not None and match.url_name.startswith(("account_", "mfa_"))


class StaffTwoFactorMiddleware:
    """Programme staff hold every défi, evaluation and convention: until they have activated
    an authenticator app, every page but the account pages sends them to its activation
    (the admin and the staff pages included). Once it is active, allauth asks for a code at
    each login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.requires_two_factor
            and not user_has_totp(user)
            and not _is_account_page(request.path_info)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
