"""Who someone is, as django-rules predicates: the roles every app's `rules.py` combines.

Each app declares the permissions on its own objects once, in its `rules.py`
(`rules.add_perm("<app>.<verb>_<model>", predicate)`), and views, templates and services all
ask `user.has_perm(name, obj)` (templates: `{% load rules %}{% has_perm … %}`). A page whose
object the user may not see answers 404, as before: it never confirms that the object exists.
"""

import rules


@rules.predicate
def is_programme_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_programme_staff


@rules.predicate
def is_agent(user) -> bool:
    return user.is_authenticated and user.is_active and user.is_agent


@rules.predicate
def is_signed_in(user) -> bool:
    return user.is_authenticated and user.is_active
