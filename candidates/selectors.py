"""Reads of the calls for candidates and of the positions they offer."""

import datetime

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Lower, Right
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


# --- Possible duplicates, for staff --------------------------------------------------------
# The same person applying from two accounts: same CV file, same phone number, or same name
# and birth year. Flagged for staff to look at, never merged: two people may share a name.


def _phone_key(phone):
    """The phone number's last nine digits: « 06 12 34 56 78 » and « +33 6 12 34 56 78 »
    are one number."""
    digits = Func(phone, Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
    return Right(digits, 9)


def _duplicate_conditions(of) -> dict[str, Q]:
    """Conditions on another application of the same call that make it a possible
    duplicate of `of` (an application, or OuterRef("pk") in a subquery), by reason."""
    field = (lambda name: OuterRef(name)) if of is None else (lambda name: getattr(of, name))
    if of is None:
        phone = _phone_key(OuterRef("phone"))
        last = Lower(OuterRef("candidate__last_name"))
        first = Lower(OuterRef("candidate__first_name"))
    else:
        digits = "".join(c for c in of.phone if c.isdigit())
        phone = Value(digits[-9:] if len(digits) >= 9 else "")
        last = Value((of.candidate.last_name if of.candidate_id else "").lower())
        first = Value((of.candidate.first_name if of.candidate_id else "").lower())
    return {
        "même CV": Q(cv_checksum=field("cv_checksum")) & ~Q(cv_checksum=""),
        "même téléphone": Q(phone_key=phone) & ~Q(phone_key="") & Q(phone_key__regex=r"^\d{9}$"),
        "même nom et même année de naissance": Q(
            last_name_key=last,
            first_name_key=first,
            birth_year=field("birth_year"),
            birth_year__isnull=False,
        ),
    }


def _others(call_id) -> QuerySet[Application]:
    return Application.objects.filter(call_id=call_id, candidate__isnull=False).annotate(
        phone_key=_phone_key(F("phone")),
        last_name_key=Lower("candidate__last_name"),
        first_name_key=Lower("candidate__first_name"),
    )


def applications_with_duplicate_flag(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """`queryset` with `possible_duplicate`: another account's application to the same call
    looks like the same person (see above). One subquery, for the admin's list."""
    conditions = _duplicate_conditions(None)
    any_reason = Q()
    for condition in conditions.values():
        any_reason |= condition
    others = (
        _others(OuterRef("call_id"))
        .filter(any_reason)
        .exclude(pk=OuterRef("pk"))
        .exclude(candidate_id=OuterRef("candidate_id"))
    )
    return queryset.annotate(possible_duplicate=Exists(others))


def application_possible_duplicates(
    application: Application,
) -> list[tuple[Application, list[str]]]:
    """The other accounts' applications to the same call that may be the same person, each
    with the reasons, for the application's page in the admin."""
    if application.candidate_id is None:
        return []
    conditions = _duplicate_conditions(application)
    others = (
        _others(application.call_id)
        .exclude(pk=application.pk)
        .exclude(candidate_id=application.candidate_id)
        .annotate(
            **{
                f"reason_{i}": ExpressionWrapper(c, output_field=BooleanField())
                for i, c in enumerate(conditions.values())
            }
        )
        .select_related("candidate")
    )
    found = []
    reasons = list(conditions)
    for other in others:
        why = [reason for i, reason in enumerate(reasons) if getattr(other, f"reason_{i}")]
        if why:
            found.append((other, why))
    return found
