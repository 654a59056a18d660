"""Calendar files (.ics, RFC 5545) for hearing convocations.

Times are written in UTC, which every calendar converts to its own time zone: no VTIMEZONE
to get wrong around the changes of hour in Paris.
"""

import datetime
from urllib.parse import urlparse

from django.conf import settings
from icalendar import Calendar, Event

PRODID = "-//DINUM//Entrepreneurs d'intérêt général//FR"


def hearing_uid(*, slot_id: int, dossier_label: str, dossier_id: int) -> str:
    """The event's identifier: the same slot and dossier give the same UID, so that a
    calendar updates (or cancels) the event it already has instead of adding one."""
    host = urlparse(settings.SITE_URL).hostname or "eig.localhost"
    return f"audition-{slot_id}-{dossier_label}-{dossier_id}@{host}"


def hearing_calendar(
    *,
    uid: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    summary: str,
    description: str,
    location: str = "",
    url: str = "",
    stamp: datetime.datetime,
    cancelled: bool = False,
) -> str:
    """One event in one calendar, as text. `stamp` (when the convocation is sent) is also the
    revision number, so that a later mail about the same event supersedes an earlier one."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(datetime.UTC))
    event.add("sequence", int(stamp.timestamp()))
    event.add("dtstart", starts_at.astimezone(datetime.UTC))
    event.add("dtend", ends_at.astimezone(datetime.UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
        if not location:
            # Most calendars show LOCATION and ignore URL: put the link where it is seen.
            event.add("location", url)
    calendar.add_component(event)
    return calendar.to_ical().decode()
