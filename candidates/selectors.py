"""Reads of the calls for candidates and of the positions they offer."""

import datetime

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Least, Lower, Right, RowNumber
from django.http import Http404
from django.utils import timezone

from candidates.filters import PoolFilter
from candidates.models import POOL_STATES, Application, CandidateCall, PoolAccess, Wish
from candidates.search import SEARCHED_TEXTS, WORD
from eig.history.selectors import history_for
from eig.permissions import require_perm
from eig.programme.models import FaqEntry
from eig.text import fold
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


# --- The talent pool (vivier), for staff ---------------------------------------------------

# What a result of the pool's pages shows, and only that: the rest of a dossier (the
# presentation, the files, the other answers) would be read, decoded and dropped 20 times a
# page.
_RESULT_FIELDS = (
    "specialty",
    "years_experience",
    "mobility",
    "available_on",
    "talent_pool_consent",
    "submitted_at",
    *SEARCHED_TEXTS,
    "candidate__first_name",
    "candidate__last_name",
    "candidate__email",
    "call__title",
    "call__promotion__name",
)

# The pool's pages count and rank this many dossiers at most (see `pool_page`,
# `pool_search`): beyond, staff refine their search.
POOL_COUNT_MAX = 1000
POOL_RANKED_MAX = POOL_COUNT_MAX

# Newest first: the order without words, and the order in which matches are bounded.
_RECENT = ("-submitted_at", "-pk")


def pool_applications() -> QuerySet[Application]:
    """The dossiers of the talent pool: admitted applications whose candidate still has an
    account."""
    return Application.objects.filter(state__in=POOL_STATES, candidate__isnull=False)


def pool_defis() -> list[tuple[int, str]]:
    """The défis a pool's dossier may wish for, for the filter: the selected ones, the
    latest promotion's first, as (pk, title). One query."""
    defis = Defi.objects.filter(state=Defi.State.SELECTED).order_by(
        "-call__promotion__year", "title", "pk"
    )
    return [(pk, title or f"Défi n° {pk}") for pk, title in defis.values_list("pk", "title")]


def pool_search_query(words: str) -> SearchQuery | None:
    """The words typed, folded as the documents are, as a French web-search query
    (« "données ouvertes" -python » : a phrase, a word excluded); None when there are none."""
    folded = " ".join(fold(words).split())
    if not folded:
        return None
    return SearchQuery(folded, config="french", search_type="websearch")


def pool_search(data, *, capped: bool = True) -> tuple[PoolFilter, QuerySet[Application], str]:
    """The pool as the filters of `data` (a GET) select it, and the words searched: ranked
    by relevance to the words (`rank`), the most recently submitted first without them.
    Invalid filters select nothing.

    `capped` (the pages): only the most recent dossiers selected are kept, one more than
    the pages show (`POOL_COUNT_MAX`, and `POOL_RANKED_MAX` with words) so that the page
    knows there are more; an export (`capped=False`) takes them all. A word found in most
    dossiers would otherwise have PostgreSQL rank every one of them at each page, when the
    newest profiles are the ones staff look for first; the page says so."""
    filterset = PoolFilter(data, queryset=pool_applications(), defis=pool_defis())
    if not filterset.is_valid():
        return filterset, filterset.queryset.none(), ""
    queryset = filterset.qs
    words = filterset.form.cleaned_data.get("q") or ""
    query = pool_search_query(words)
    if query is not None:
        queryset = queryset.filter(search__vector=query)
    if capped:
        # A subquery, run once inside the page's query: the newest first, as the
        # application_pool_recent index lists them, so that PostgreSQL stops after these.
        bound = POOL_COUNT_MAX if query is None else POOL_RANKED_MAX
        recent = queryset.order_by(*_RECENT).values("pk")[: bound + 1]
        queryset = pool_applications().filter(pk__in=recent)
    if query is None:
        return filterset, queryset.order_by(*_RECENT), ""
    ranked = queryset.annotate(rank=SearchRank(F("search__vector"), query))
    return filterset, ranked.order_by("-rank", *_RECENT), words


_MATCHED_WORDS = """
    SELECT word FROM unnest(%s::text[]) AS word
    WHERE tsvector_to_array(to_tsvector('french', word)) && ARRAY(
        SELECT (regexp_matches(
            querytree(websearch_to_tsquery('french', %s)), '''((?:[^'']|'''')+)''', 'g'
        ))[1]
    )
"""


def pool_matched_words(words: str, candidates: set[str]) -> set[str]:
    """Which of the folded words `candidates` (those of the texts shown) the search for
    `words` matches, as PostgreSQL stems them: « donnees » and « données » find « donnée ».
    One query, only when there are words.

    French stemming only changes a word's ending, never its first two letters: only the
    words that begin as a searched word does are sent to PostgreSQL."""
    folded = " ".join(fold(words).split())
    starts = {word[:2] for word in WORD.findall(folded)}
    candidates = sorted(word for word in candidates if word[:2] in starts)
    if not candidates:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_MATCHED_WORDS, [candidates, folded])
        return {row[0] for row in cursor.fetchall()}


def _pool_results(ids: list[int]) -> dict[int, Application]:
    """The pool's results `ids` as a page shows them, by id: what `_RESULT_FIELDS` names,
    with the candidate, the call and its promotion, and the défis of their held wishes in
    rank order (`wished_defis`). Two queries: the wishes come as the défis' ids with each
    dossier, then the few défis once, rather than a wish, a position and a défi built for
    each of the page's sixty wishes."""
    if not ids:
        return {}
    wished = (
        Wish.objects.filter(application=OuterRef("pk"), withdrawn_at__isnull=True)
        .order_by("rank")
        .values("position__defi_id")
    )
    found = (
        Application.objects.select_related("candidate", "call__promotion")
        .only(*_RESULT_FIELDS)
        .annotate(wished_defi_ids=ArraySubquery(wished))
        .order_by()
        .in_bulk(ids)
    )
    defis = Defi.objects.only("title").in_bulk(
        {pk for application in found.values() for pk in application.wished_defi_ids}
    )
    for application in found.values():
        application.wished_defis = [defis[pk] for pk in application.wished_defi_ids]
    return found


def _planned_for_its_values(queryset: QuerySet) -> list:
    """The rows of `queryset`, planned by PostgreSQL for the values it is sent this time,
    by one process, as reads from memory.

    The settings prepare each query once it has run twice on a connection, and after five
    runs PostgreSQL may keep one generic plan for any values. For the pool's page that
    plan knows neither how common the searched words are nor that the state is the one of
    the partial index (it is a parameter): it took every match of a common word through the
    GIN index and sorted them, 53 ms instead of 9 ms. A word found in a quarter of the
    dossiers had PostgreSQL start a parallel worker, 7 ms to save less; without it, the
    default cost of a random read (4, for spinning disks) had it read the whole search
    table rather than look up the newest dossiers one by one, 32 ms instead of 12 ms,
    when the pool's few megabytes are read from memory. One more query, whose settings
    last until the end of the transaction only."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
            "set_config('max_parallel_workers_per_gather', '0', true), "
            "set_config('random_page_cost', '1.1', true)"
        )
        return list(queryset)


def pool_page(queryset: QuerySet[Application], number, size: int) -> Page:
    """Page `number` of the pool's `queryset` (as `pool_search` bounds and orders it; the
    last page past it, the first one for junk), in three queries whatever the number of
    dossiers: the page's ids and the total, counted up to `POOL_COUNT_MAX` (`page.capped`
    beyond: the page says « plus de … » and asks to refine); then those dossiers, with only
    what a result shows, and their wished défis (`_pool_results`)."""
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    # Numbered and counted in the same pass over the bounded rows: the matches of a word
    # are found once, and no list of ids goes back and forth. Past the last page, the last.
    # The rows before the last page, in integer division (none when there is no row).
    before_last = (Least(F("total"), POOL_COUNT_MAX) - 1) / size * size
    skipped = Least(Value((number - 1) * size), before_last)
    numbered = (
        queryset.annotate(
            position=Window(RowNumber(), order_by=queryset.query.order_by),
            total=Window(Count("*")),
        )
        .filter(position__gt=skipped, position__lte=Least(skipped + size, POOL_COUNT_MAX))
        .values_list("pk", "total")
    )
    rows = _planned_for_its_values(numbered)
    total = rows[0][1] if rows else 0
    shown = min(total, POOL_COUNT_MAX)
    ids = [pk for pk, _total in rows]
    found = _pool_results(ids)
    paginator = Paginator([], size)
    paginator.count = shown
    number = min(number, max((shown - 1) // size + 1, 1))
    page = Page([found[pk] for pk in ids if pk in found], number, paginator)
    page.capped = total > POOL_COUNT_MAX
    return page


def pool_dossier(pk: int) -> Application:
    """One dossier of the pool with everything its page shows: the candidate, the call,
    every wish (held or withdrawn) with its défi and administration; 404 outside the pool."""
    application = (
        Application.objects.filter(pk=pk, state__in=POOL_STATES, candidate__isnull=False)
        .select_related("candidate", "call__promotion")
        .prefetch_related(
            Prefetch(
                "wishes",
                queryset=Wish.objects.select_related("position__defi__administration").order_by(
                    "withdrawn_at", "rank", "pk"
                ),
                to_attr="all_wishes",
            )
        )
        .first()
    )
    if application is None:
        raise Http404
    return application


def pool_accesses(application: Application) -> QuerySet[PoolAccess]:
    """Who read the application's personal data, and how (in the pool, or on the staff's
    page of it), the latest first."""
    return PoolAccess.objects.filter(application=application).order_by("-at", "-pk")


def pool_export_rows(queryset: QuerySet[Application]) -> QuerySet:
    """The rows of an export of the pool (the current filters' dossiers in their order):
    plain tuples, the held wishes' défis joined in rank order, one query."""
    # A subquery per row rather than a join grouped by dossier: the order by relevance
    # reads the search row, which a GROUP BY on the dossier would not allow.
    wished = (
        Wish.objects.filter(application=OuterRef("pk"), withdrawn_at__isnull=True)
        .order_by()
        .values("application")
        .annotate(
            titles=StringAgg(
                "position__defi__title", delimiter=" ; ", order_by="rank", output_field=TextField()
            )
        )
        .values("titles")
    )
    return queryset.annotate(
        wished=Coalesce(Subquery(wished), Value(""), output_field=TextField())
    ).values_list(
        "pk",
        "state",
        "candidate__last_name",
        "candidate__first_name",
        "candidate__email",
        "phone",
        "specialty",
        "years_experience",
        "mobility",
        "available_on",
        "talent_pool_consent",
        "call__title",
        "call__promotion__name",
        "wished",
        "skills_main",
        "skills_secondary",
    )


def application_for_candidate(application: Application, *, with_history: bool = True):
    """(the state the candidate reads, its label, their application's history, oldest
    first). A decision the jury has not sent yet stays out of all three: the candidate
    reads the state before it, and the history up to it (`Application.decision_disclosed`).
    Without `with_history`, the history is read only when a decision is held back (the
    state before it is in it), and not returned."""
    if application.decision_disclosed and not with_history:
        return application.state, application.get_state_display(), []
    events = list(history_for(application))
    if application.decision_disclosed:
        return application.state, application.get_state_display(), events
    sent = application.decision_sent_at
    hidden = [
        event
        for event in events
        if event.action == Application.Action.DECIDED and (sent is None or event.at > sent)
    ]
    state = hidden[0].from_state if hidden else application.state
    labels = dict(Application.State.choices)
    kept = [event for event in events if event not in hidden] if with_history else []
    return state, str(labels.get(state, state)), kept


# --- One application, for staff ------------------------------------------------------------


def get_application_for_staff(user, pk: int) -> Application:
    """The one access check of the staff's page of an application and of its files
    (`candidates.read_application`): programme staff read any application its candidate
    handed in. Anyone else, the candidate included, gets a 404, as for any application not
    theirs, and so do staff for a draft. The application comes with what its page shows:
    the candidate, the call, its promotion and jury, every wish (held first, by rank, then
    the withdrawn ones) with its défi and administration."""
    held_first = F("withdrawn_at").asc(nulls_first=True)
    application = (
        Application.objects.filter(pk=pk)
        .select_related("candidate", "call__promotion", "call__jury")
        .prefetch_related(
            Prefetch(
                "wishes",
                queryset=Wish.objects.select_related("position__defi__administration").order_by(
                    held_first, "rank", "pk"
                ),
                to_attr="all_wishes",
            )
        )
        .first()
    )
    require_perm(user, "candidates.read_application", application)
    return application
