from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from eig.accounts.models import User
from eig.history.models import NOTE_MAX, Event


def record(
    subject: models.Model,
    *,
    action: str,
    actor: User | None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    at=None,
    data: dict | None = None,
) -> Event:
    """Write one event of `subject`'s history: who, when, from which state to which, why.

    Called inside the caller's transaction, so the event exists exactly when the change
    does. The note is cut to its bound rather than refusing the change it explains."""
    return Event.objects.create(
        subject_type=ContentType.objects.get_for_model(subject, for_concrete_model=False),
        subject_id=subject.pk,
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        actor=actor,
        at=at or timezone.now(),
        note=(note or "").strip()[:NOTE_MAX],
        data=data or {},
    )


def record_many(
    subjects,
    *,
    action: str,
    actor: User | None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    at=None,
    data: dict | None = None,
) -> list[Event]:
    """The same event for many subjects of one kind, in one query (e.g. an assignment)."""
    subjects = list(subjects)
    if not subjects:
        return []
    content_type = ContentType.objects.get_for_model(subjects[0], for_concrete_model=False)
    at = at or timezone.now()
    return Event.objects.bulk_create(
        Event(
            subject_type=content_type,
            subject_id=subject.pk,
            action=action,
            from_state=from_state or "",
            to_state=to_state or "",
            actor=actor,
            at=at,
            note=(note or "").strip()[:NOTE_MAX],
            data=data or {},
        )
        for subject in subjects
    )
