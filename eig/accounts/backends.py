"""Authentication backends that load the session's user together with whether they have an
authenticator app, so that the staff two-factor check (eig.accounts.middleware) costs no
query of its own on every page."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import backends, get_user_model


def _user_with_totp_flag(backend, user_id):
    # Every signed-in page starts here: a raw query, which the ORM does not have to write
    # (an annotated subquery took longer to write than PostgreSQL to run).
    user_model = get_user_model()
    users = user_model._default_manager.raw(
        f"SELECT person.*, EXISTS ("
        f"    SELECT 1 FROM {Authenticator._meta.db_table} AS authenticator"
        f"    WHERE authenticator.user_id = person.id AND authenticator.type = %s"
        f") AS has_totp "
        f"FROM {user_model._meta.db_table} AS person WHERE person.id = %s",
        [Authenticator.Type.TOTP, user_id],
    )
    user = next(iter(users), None)
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _user_with_totp_flag(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _user_with_totp_flag(self, user_id)
