"""The permission layer: one question, asked the same way by views, templates and services.

Each app declares the permissions on its objects once, in its `rules.py`
(`rules.add_perm("<app_label>.<verb>_<model>", predicate)`, with verbs other than Django's
add/change/delete/view so that the admin's model permissions never answer for them), and
everyone asks `user.has_perm(name, obj)`: views through `require_perm`, templates through
`{% load rules %}{% has_perm name user obj as flag %}`, services through `ensure_perm`.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404

from eig.exceptions import DomainError

HIDDEN = 404  # the object stays hidden: the page never confirms that it exists
FORBIDDEN = 403  # the page exists, it is not theirs


def require_perm(user, perm: str, obj=None, *, status: int = HIDDEN, message: str = "") -> None:
    """A view's access check: a 404 (the default) or a 403 with `message` when `user` lacks
    `perm` on `obj`."""
    if user.has_perm(perm, obj):
        return
    if status == FORBIDDEN:
        raise PermissionDenied(message)
    raise Http404


def ensure_perm(
    actor, perm: str, obj=None, *, message: str | Callable[[], str], code: str = "not_allowed"
) -> None:
    """A service's access check: refuses the change with the French `message` (a DomainError
    the view shows) when `actor` lacks `perm` on `obj`. The service asks even when its view
    did, so that every caller (admin, commands, tasks) meets the same rule.

    `message` may be a function that says why, called only on refusal: where finding the
    reason costs queries, the allowed path does not pay for them."""
    if not actor.has_perm(perm, obj):
        raise DomainError(message() if callable(message) else message, code=code)
