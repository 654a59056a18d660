from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from eig.accounts.models import Role, User
from eig.exceptions import DomainError
from eig.permissions import ensure_perm

STAFF_GROUP = "Équipe du programme"
# The apps whose admin pages programme staff manage.
STAFF_APP_LABELS = [
    "accounts",
    "programme",
    "notifications",
    "projects",
    "candidates",
    "missions",
    "funding",
]


def user_complete_signup(*, user: User, first_name: str, last_name: str, role: str) -> User:
    """Fill the names and the self-service role chosen at sign-up."""
    if role not in (Role.AGENT, Role.CANDIDATE):
        raise ValueError(f"role {role!r} cannot be chosen at sign-up")
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.roles = sorted(set(user.roles) | {role})
    user.save(update_fields=["first_name", "last_name", "roles"])
    return user


def staff_group_ensure() -> Group:
    """The group that gives programme staff every permission on the platform's own models
    (run after each migration, so that new models are included)."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=STAFF_APP_LABELS))
    return group


@transaction.atomic
def user_set_roles(*, user: User, roles: list[str]) -> User:
    """Set the roles of a person. The staff role opens the Django admin (is_staff and the
    staff group); taking it away closes it, unless the person is a superuser."""
    user.roles = sorted({Role(role).value for role in roles})
    is_staff_member = Role.STAFF in user.roles
    user.is_staff = is_staff_member or user.is_superuser
    user.save(update_fields=["roles", "is_staff"])
    group = staff_group_ensure()
    if is_staff_member:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    return user


def user_grant_role(*, user: User, role: str) -> User:
    return user_set_roles(user=user, roles=[*user.roles, role])


@transaction.atomic
def user_two_factor_set(*, user: User, totp_secret: str, recovery_seed: str = "") -> None:
    """Give the person an authenticator app with a known secret and, when a seed is given,
    recovery codes derived from it (all unused), replacing any they had.

    For the demo accounts and the tests only, whose secrets are public: real people enrol
    through allauth's pages, which draw the secret at random and show it once.
    """
    Authenticator.objects.update_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(totp_secret)}},
    )
    if recovery_seed:
        Authenticator.objects.update_or_create(
            user=user,
            type=Authenticator.Type.RECOVERY_CODES,
            defaults={"data": {"seed": encrypt(recovery_seed), "used_mask": 0}},
        )


def user_update_profile(
    *, user: User, first_name: str, last_name: str, job_title: str, phone: str
) -> User:
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.job_title, user.phone = job_title.strip(), phone.strip()
    user.save(update_fields=["first_name", "last_name", "job_title", "phone"])
    return user


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Delete the account and everything personal attached to it (addresses, reminders,
    two-factor authenticators).

    Défis the person wrote belong to their administration: they stay, without author, for
    their co-editors and the programme; their history keeps the state changes, without who
    made them. Programme staff are removed by another member of the team, in the admin.
    """
    ensure_perm(
        user,
        "accounts.erase_user",
        user,
        message="Un membre de l'équipe du programme est retiré par un autre membre, depuis "
        "l'administration.",
        code="staff_erase",
    )
    if user.jury_memberships.filter(withdrawn_at__isnull=True).exists():
        # Their dossiers must first go to other jurors; staff withdraw them, which does it.
        raise DomainError(
            "Vous êtes membre d'un jury en cours : demandez à l'équipe du programme de vous "
            "en retirer, puis supprimez votre compte. Vos évaluations soumises resteront, "
            "sans votre nom.",
            code="juror_erase",
        )
    from eig.accounts.personal_data import user_erasure_steps

    # Each app ends what it must first (an administration's membership, with history).
    user_erasure_steps(user)
    user.delete()
