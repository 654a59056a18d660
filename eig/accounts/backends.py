"""Authentication backends that load the session's user together with whether they have an
authenticator app, so that the staff two-factor check (eig.accounts.middleware) costs no
query of its own on every page."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import backends, get_user_model
from django.db.models import Exists, OuterRef


def _user_with_totp_flag(backend, user_id):
    user_model = get_user_model()
    user = (
        user_model._default_manager.annotate(
            has_totp=Exists(
                Authenticator.objects.filter(user_id=OuterRef("pk"), type=Authenticator.Type.TOTP)
            )
        )
        .filter(pk=user_id)
        .first()
    )
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _user_with_totp_flag(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _user_with_totp_flag(self, user_id)
