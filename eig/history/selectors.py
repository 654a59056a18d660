from collections import defaultdict

from django.db import models
from django.db.models import QuerySet

from eig.history.models import Event


def _of_kind(model) -> dict:
    # Through the join rather than a content type id: the same number of queries whether
    # or not the content type cache is warm, so the pages' query counts stay exact.
    opts = model._meta
    return {"subject_type__app_label": opts.app_label, "subject_type__model": opts.model_name}


def history_for(subject: models.Model) -> QuerySet[Event]:
    """The history of one object, oldest first, with who did each step."""
    return history_for_ids(type(subject), [subject.pk])


def history_for_ids(model: type[models.Model], ids) -> QuerySet[Event]:
    """The history of objects of one kind, given their ids (a list or a subquery)."""
    return (
        Event.objects.filter(subject_id__in=ids, **_of_kind(model))
        .select_related("actor", "subject_type")
        .order_by("at", "pk")
    )


def history_attach(subjects, *, attr: str = "history") -> list:
    """Set on each object of a list its history (a list, oldest first), in one query for
    the whole list: the bulk variant of `history_for` for list pages."""
    subjects = [subject for subject in subjects if subject is not None]
    if not subjects:
        return subjects
    by_subject = defaultdict(list)
    for event in history_for_ids(type(subjects[0]), [subject.pk for subject in subjects]):
        by_subject[event.subject_id].append(event)
    for subject in subjects:
        setattr(subject, attr, by_subject.get(subject.pk, []))
    return subjects


def history_latest(model: type[models.Model], *, action: str | None = None) -> QuerySet[Event]:
    """The latest events of a kind of object, optionally of one action."""
    events = Event.objects.filter(**_of_kind(model))
    if action:
        events = events.filter(action=action)
    return events.select_related("actor", "subject_type").order_by("-at", "-pk")


def history_personal_data(user) -> list[dict]:
    """What the person did, as the history records it, for their personal-data export: the
    kind of object, the action, the move, when and why (never another person's name)."""
    events = Event.objects.filter(actor=user).select_related("subject_type").order_by("at", "pk")
    return [
        {
            "objet": str(event.subject_model._meta.verbose_name)
            if event.subject_model
            else event.subject_type.model,
            "action": event.get_action_display(),
            "de": event.from_state,
            "vers": event.to_state,
            "le": event.at.isoformat(),
            "motif": event.note,
        }
        for event in events
    ]
