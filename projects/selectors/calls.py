"""Reads of calls for projects and of the public catalogue of selected défis."""

import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from projects.models import (
    Defi,
    ProjectCall,
)

State = Defi.State


def call_list_open(now: datetime.datetime | None = None) -> QuerySet[ProjectCall]:
    now = now or timezone.now()
    return (
        ProjectCall.objects.filter(opens_at__lte=now, closes_at__gt=now)
        .select_related("promotion")
        .order_by("closes_at")
    )


def call_list_upcoming(now: datetime.datetime | None = None) -> QuerySet[ProjectCall]:
    now = now or timezone.now()
    return (
        ProjectCall.objects.filter(opens_at__gt=now)
        .select_related("promotion")
        .order_by("opens_at")
    )


def call_detail(slug: str) -> ProjectCall:
    call = (
        ProjectCall.objects.select_related("promotion")
        .annotate(submitted_count=Count("defis", filter=Q(defis__state=State.SUBMITTED)))
        .filter(slug=slug)
        .first()
    )
    if call is None:
        raise Http404
    return call


def defi_catalogue() -> QuerySet[Defi]:
    """The public catalogue: défis selected by the programme, newest promotion first."""
    return (
        Defi.objects.filter(state=State.SELECTED)
        .select_related("call__promotion", "administration")
        .prefetch_related("positions")
        .order_by("-call__promotion__year", "call__promotion__code", "title")
    )


def programme_figures() -> dict:
    """The programme in figures, from the selected défis: one aggregate query."""
    return Defi.objects.filter(state=State.SELECTED).aggregate(
        defis=Count("pk"),
        promotions=Count("call__promotion", distinct=True),
        administrations=Count("administration", distinct=True),
        since=Min("call__promotion__year"),
    )


def defi_public_detail(pk: int) -> Defi:
    defi = defi_catalogue().filter(pk=pk).first()
    if defi is None:
        raise Http404
    return defi
