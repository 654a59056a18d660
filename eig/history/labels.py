"""French names of the history's codes, declared once per kind of object.

Each app registers, for a model (or an abstract model its domains subclass), the
`TextChoices` of its actions and of its states; the lookup walks the model's bases, so the
jury engine names the actions of every domain's evaluations at once.
"""

from django.db import models

_ACTIONS: dict[type, dict[str, str]] = {}
_STATES: dict[type, dict[str, str]] = {}


def register(
    model: type[models.Model],
    *,
    actions: type[models.TextChoices] | None = None,
    states: type[models.TextChoices] | None = None,
) -> None:
    if actions is not None:
        _ACTIONS.setdefault(model, {}).update({c.value: str(c.label) for c in actions})
    if states is not None:
        _STATES.setdefault(model, {}).update({c.value: str(c.label) for c in states})


def _lookup(table: dict[type, dict[str, str]], model, code: str) -> str:
    if not code:
        return ""
    for base in getattr(model, "__mro__", ()):
        label = table.get(base, {}).get(code)
        if label is not None:
            return label
    return code


def action_label(model, code: str) -> str:
    return _lookup(_ACTIONS, model, code)


def state_label(model, code: str) -> str:
    return _lookup(_STATES, model, code)
