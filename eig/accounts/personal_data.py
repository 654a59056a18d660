"""What the platform holds about a person, for the export a user downloads from their space.

The core knows only the account; each app that stores personal data registers a function
that returns its part (`register_personal_data` in its AppConfig.ready), so that the export
stays complete without the core importing the apps built on it.
"""

from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from eig.accounts.models import Role, User

_SECTIONS: dict[str, Callable[[User], Any]] = {}
_ERASERS: dict[str, Callable[[User], None]] = {}


def register_personal_data(section: str, reader: Callable[[User], Any]) -> None:
    _SECTIONS[section] = reader


def _two_factor(user: User) -> dict:
    # Whether each factor is on and when it was used, never its secret nor the codes: the
    # export may be mailed or left in a downloads folder.
    authenticators = {a.type: a for a in Authenticator.objects.filter(user=user)}
    totp = authenticators.get(Authenticator.Type.TOTP)
    codes = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    return {
        "active": totp is not None,
        "application_activee_le": totp.created_at.isoformat() if totp else None,
        "application_utilisee_le": (
            totp.last_used_at.isoformat() if totp and totp.last_used_at else None
        ),
        "codes_de_recuperation_restants": (len(codes.wrap().get_unused_codes()) if codes else 0),
    }


def register_erasure(name: str, eraser: Callable[[User], None]) -> None:
    """An app's step before an account is deleted (ending what must end with history)."""
    _ERASERS[name] = eraser


def user_erasure_steps(user: User) -> None:
    for _, eraser in sorted(_ERASERS.items()):
        eraser(user)


def user_personal_data(user: User) -> dict:
    data = {
        "compte": {
            "email": user.email,
            "prenom": user.first_name,
            "nom": user.last_name,
            "fonction": user.job_title,
            "telephone": user.phone,
            "roles": [str(Role(value).label) for value in user.roles if value in Role.values],
            "administration": str(user.administration) if user.administration_id else None,
            "inscrit_le": user.date_joined.isoformat(),
            "derniere_connexion": user.last_login.isoformat() if user.last_login else None,
            "adresses_email": [
                {"email": a.email, "verifiee": a.verified, "principale": a.primary}
                for a in EmailAddress.objects.filter(user=user).order_by("email")
            ],
        },
        "double_authentification": _two_factor(user),
        "relances_recues": [
            {"type": r.kind, "echeance": r.due_on.isoformat(), "envoyee_le": r.sent_at.isoformat()}
            for r in user.reminders.order_by("sent_at")
        ],
    }
    for section, reader in sorted(_SECTIONS.items()):
        data[section] = reader(user)
    return data
