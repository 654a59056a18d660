"""The confirmation step of irreversible actions, without JavaScript.

The first POST of such an action is validated as usual, then answered with a page that says
what will happen and what evidence is missing, and a second form that posts the same fields
with `confirm=1`; only that second POST calls the service. Nothing depends on a script, so
the step holds under a strict Content-Security-Policy and for anyone who posts directly.
"""

from dataclasses import dataclass, field

from django.shortcuts import render

CONFIRM_FIELD = "confirm"
# Fields the confirmation form must not carry over: its own token and flag.
_NOT_CARRIED = {"csrfmiddlewaretoken", CONFIRM_FIELD}


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "1"


@dataclass
class Confirmation:
    """What the confirmation page says: `consequences` are sentences on what the action
    does; `warnings` name the evidence that is missing; `summary` lists (label, value)
    of what was typed, to read again before confirming."""

    title: str
    consequences: list[str]
    submit_label: str
    cancel_url: str
    warnings: list[str] = field(default_factory=list)
    warnings_title: str = "À savoir avant de confirmer"
    summary: list[tuple[str, str]] = field(default_factory=list)
    breadcrumb: list[tuple[str, str]] = field(default_factory=list)


def confirmation_page(request, confirmation: Confirmation):
    """The page that asks to confirm the POST being answered, carrying its fields over."""
    hidden = [
        (name, value)
        for name in request.POST
        if name not in _NOT_CARRIED
        for value in request.POST.getlist(name)
    ]
    return render(
        request,
        "confirm.html",
        {
            "confirmation": confirmation,
            "hidden": hidden,
            "action": request.get_full_path(),
            "title": confirmation.title,
        },
    )
