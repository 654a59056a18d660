from django.db import transaction

from eig.accounts.models import Role, User
from eig.exceptions import DomainError


def user_complete_signup(*, user: User, first_name: str, last_name: str, role: str) -> User:
    """Fill the names and the self-service role chosen at sign-up."""
    if role not in (Role.AGENT, Role.CANDIDATE):
        raise ValueError(f"role {role!r} cannot be chosen at sign-up")
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.roles = sorted(set(user.roles) | {role})
    user.save(update_fields=["first_name", "last_name", "roles"])
    return user


@transaction.atomic
def user_grant_role(*, user: User, role: str) -> User:
    """Give a role. Programme staff also get access to the Django admin (is_staff)."""
    user.roles = sorted(set(user.roles) | {Role(role).value})
    fields = ["roles"]
    if role == Role.STAFF and not user.is_staff:
        user.is_staff = True
        fields.append("is_staff")
    user.save(update_fields=fields)
    return user


def user_update_profile(
    *, user: User, first_name: str, last_name: str, job_title: str, phone: str
) -> User:
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.job_title, user.phone = job_title.strip(), phone.strip()
    user.save(update_fields=["first_name", "last_name", "job_title", "phone"])
    return user


@transaction.atomic
def user_erase(*, user: User) -> None:
    """Delete the account and everything personal attached to it (addresses, reminders).

    Défis the person wrote belong to their administration: they stay, without author, for
    their co-editors and the programme; their history keeps the state changes, without who
    made them. Programme staff are removed by another member of the team, in the admin.
    """
    if user.is_programme_staff:
        raise DomainError(
            "Un membre de l'équipe du programme est retiré par un autre membre, depuis "
            "l'administration.",
            code="staff_erase",
        )
    user.delete()
