"""Who someone is, as django-rules predicates: the roles every app's `rules.py` combines, and
the permissions of the personal space.

Each app declares the permissions on its own objects once, in its `rules.py`
(`rules.add_perm("<app>.<verb>_<model>", predicate)`), and views, templates and services all
ask `user.has_perm(name, obj)` (templates: `{% load rules %}{% has_perm … %}`; views and
services through `eig.permissions`). A page whose object the user may not see answers 404, as
before: it never confirms that the object exists. The predicates read attributes already
loaded (roles, `administration_id`) wherever they can, so that a list page asking them per
row costs no query per row.
"""

import rules

from eig.accounts.models import Role


@rules.predicate
def is_signed_in(user) -> bool:
    return user.is_authenticated and user.is_active


@rules.predicate
def is_programme_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_programme_staff


@rules.predicate
def is_agent(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_agent


@rules.predicate
def is_juror(user) -> bool:
    return user.is_authenticated and user.is_active and Role.JUROR in user.roles


@rules.predicate
def is_candidate(user) -> bool:
    return user.is_authenticated and user.is_active and Role.CANDIDATE in user.roles


@rules.predicate
def is_coach(user) -> bool:
    return user.is_authenticated and user.is_active and Role.COACH in user.roles


@rules.predicate
def is_verified_member(user) -> bool:
    """An agent whose membership of an administration is verified: the services set
    `User.administration` while it is, and only then."""
    return bool(is_agent(user) and user.administration_id)


@rules.predicate
def is_self(user, person) -> bool:
    return person is not None and user.is_authenticated and user.pk == person.pk


# The personal space: each person reads, edits, exports and erases their own account only.
# (Staff manage other accounts in the admin, with Django's model permissions.)
rules.add_perm("accounts.read_user", is_signed_in & is_self)
rules.add_perm("accounts.edit_user", is_signed_in & is_self)
rules.add_perm("accounts.export_user", is_signed_in & is_self)
# Programme staff are removed by another member of the team, in the admin.
rules.add_perm("accounts.erase_user", is_signed_in & is_self & ~is_programme_staff)
