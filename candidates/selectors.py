"""Reads of the calls for candidates and of the positions they offer."""

import datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from candidates.models import Application, CandidateCall, Wish
from eig.programme.models import FaqEntry
from projects.models import Defi, DefiPosition


def candidate_call_list(now: datetime.datetime | None = None) -> dict[str, list[CandidateCall]]:
    """The calls for candidates by where they stand: `open`, `upcoming` and `closed` (the
    last ten closed), in one query."""
    now = now or timezone.now()
    calls = {"open": [], "upcoming": [], "closed": []}
    for call in CandidateCall.objects.select_related("promotion").order_by("closes_at"):
        if call.is_open(now):
            calls["open"].append(call)
        elif call.opens_at > now:
            calls["upcoming"].append(call)
        else:
            calls["closed"].append(call)
    calls["closed"] = calls["closed"][::-1][:10]
    return calls


def candidate_call_detail(slug: str) -> CandidateCall:
    call = CandidateCall.objects.select_related("promotion").filter(slug=slug).first()
    if call is None:
        raise Http404
    return call


def candidate_call_defis(call: CandidateCall) -> QuerySet[Defi]:
    """The défis a call recruits for: the selected défis of its promotion, each with its
    positions (the profiles sought) in order. Two queries whatever their number."""
    return (
        Defi.objects.filter(call__promotion_id=call.promotion_id, state=Defi.State.SELECTED)
        .select_related("administration")
        .prefetch_related(Prefetch("positions", queryset=DefiPosition.objects.order_by("rank")))
        .order_by("title", "pk")
    )


def candidate_call_themes(call: CandidateCall) -> list[str]:
    """The themes of the call's défis, for the filter: each défi lists its own, separated
    by commas, as the programme's site did."""
    themes = set()
    for text in candidate_call_defis(call).values_list("themes", flat=True):
        themes.update(theme.strip() for theme in text.split(",") if theme.strip())
    return sorted(themes, key=str.casefold)


def faq_for_candidates() -> list[FaqEntry]:
    return list(FaqEntry.objects.filter(audience=FaqEntry.Audience.CANDIDATES))


def call_positions(call: CandidateCall) -> QuerySet[DefiPosition]:
    """The positions a call offers: those of the selected défis of its promotion."""
    return DefiPosition.objects.filter(
        defi__call__promotion_id=call.promotion_id, defi__state=Defi.State.SELECTED
    ).select_related("defi__administration")


def candidate_application(user, call: CandidateCall) -> Application | None:
    """The person's application to `call`, with its wishes (positions, défis) in rank order;
    None when they have not started one."""
    if not user.is_authenticated:
        return None
    return (
        Application.objects.filter(call=call, candidate=user)
        .select_related("call__promotion")
        .prefetch_related(
            Prefetch(
                "wishes",
                queryset=Wish.objects.filter(withdrawn_at__isnull=True)
                .select_related("position__defi__administration")
                .order_by("rank"),
                to_attr="held_wishes",
            )
        )
        .first()
    )


def position_choices(call: CandidateCall, specialty: str) -> list[tuple[int, str]]:
    """The positions of the call that seek `specialty`, as (pk, label) for the wishes form:
    « Défi (administration) – EIG n »."""
    positions = call_positions(call).filter(specialty=specialty).order_by("defi__title", "rank")
    return [
        (
            position.pk,
            f"{position.defi.title} ({position.defi.administration}) – EIG {position.rank}",
        )
        for position in positions
    ]
