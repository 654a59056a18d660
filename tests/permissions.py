"""Tables of permissions: each `rules.py` module is pinned by a table of
(permission, object) -> the roles that hold it; every other role of the table must not."""

from django.contrib.auth.models import AnonymousUser
from rules.permissions import permissions as declared

SELF = object()  # the object is the person asking (their own account)


def perms_declared(app_label: str) -> set[str]:
    return {name for name in declared if name.startswith(f"{app_label}.")}


def table_mismatches(users: dict, objects: dict, table: dict) -> list[str]:
    """Every (permission, object, role) whose answer differs from the table, as readable
    lines: `table` maps a permission to {object key: roles that hold it}."""
    mismatches = []
    for perm, by_object in table.items():
        for key, allowed in by_object.items():
            for role, user in users.items():
                user = user or AnonymousUser()
                obj = user if objects[key] is SELF else objects[key]
                expected = role in allowed
                if user.has_perm(perm, obj) != expected:
                    mismatches.append(f"{perm} · {key} · {role} : attendu {expected}")
    return mismatches


def roles_of(table: dict) -> set[str]:
    return {role for by_object in table.values() for roles in by_object.values() for role in roles}
