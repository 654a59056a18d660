"""Reads of the calls for candidates and of the positions they offer."""

import datetime
from dataclasses import dataclass

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
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
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce, Lower, Right
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

# The pool's pages count this many dossiers at most, and rank this many of the newest that
# hold the words searched (see `pool_page`): beyond, staff refine their search, and an
# export takes them all. Ranking costs PostgreSQL a read of each ranked dossier's lexemes:
# with a phrase found in a fifth of 20,000 dossiers, the page's reads took 11 ms when they
# ranked the newest 1,000 matches, 4.5 ms the newest 500 (`bench/talent_pool.py`).
POOL_COUNT_MAX = 1000
POOL_RANKED_MAX = 500

# Newest first: the order without words, and the order in which matches are bounded.
_RECENT = ("-submitted_at", "-pk")


def pool_applications() -> QuerySet[Application]:
    """The dossiers of the talent pool: admitted applications whose candidate still has an
    account."""
    return Application.objects.filter(state__in=POOL_STATES, candidate__isnull=False)


# By hand, as the pool's other reads: every page of the pool lists them in its filter.
_POOL_DEFIS = """
    SELECT defi.id, defi.title FROM projects_defi AS defi
    JOIN projects_projectcall AS call ON call.id = defi.call_id
    JOIN programme_promotion AS promotion ON promotion.id = call.promotion_id
    WHERE defi.state = %s
    ORDER BY promotion.year DESC, defi.title, defi.id
"""


def pool_defis() -> list[tuple[int, str]]:
    """The défis a pool's dossier may wish for, for the filter: the selected ones, the
    latest promotion's first, as (pk, title). One query."""
    with connection.cursor() as cursor:
        cursor.execute(_POOL_DEFIS, [Defi.State.SELECTED])
        return [(pk, title or f"Défi n° {pk}") for pk, title in cursor.fetchall()]


def _folded(words: str) -> str:
    """The words typed, folded as the documents are (`candidates/search.py`)."""
    return " ".join(fold(words).split())


def pool_search_query(words: str) -> SearchQuery | None:
    """The words typed, folded as the documents are, as a French web-search query
    (« "données ouvertes" -python » : a phrase, a word excluded); None when there are none."""
    folded = _folded(words)
    if not folded:
        return None
    return SearchQuery(folded, config="french", search_type="websearch")


def pool_search(data) -> tuple[PoolFilter, QuerySet[Application], str]:
    """The dossiers of the pool that the filters of `data` (a GET) select and that hold the
    words searched, the most recently submitted first, and those words. Invalid filters
    select nothing. A page ranks the newest of them by relevance to the words
    (`pool_page`), an export all of them (`pool_export_rows`)."""
    filterset = PoolFilter(data, queryset=pool_applications(), defis=pool_defis())
    if not filterset.is_valid():
        return filterset, filterset.queryset.none(), ""
    queryset = filterset.qs
    words = filterset.form.cleaned_data.get("q") or ""
    query = pool_search_query(words)
    if query is None:
        return filterset, queryset.order_by(*_RECENT), ""
    return filterset, queryset.filter(search__vector=query).order_by(*_RECENT), words


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
    folded = _folded(words)
    starts = {word[:2] for word in WORD.findall(folded)}
    candidates = sorted(word for word in candidates if word[:2] in starts)
    if not candidates:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(_MATCHED_WORDS, [candidates, folded])
        return {row[0] for row in cursor.fetchall()}


@dataclass(frozen=True)
class PoolResult:
    """A result of the pool's pages: what it shows of a dossier, and only that (the rest,
    the presentation, the files, the other answers, would be read and dropped 20 times a
    page). `texts`: the searched answers by field name; `wished_defis`: the titles of the
    défis of the held wishes, in rank order."""

    pk: int
    name: str
    specialty: str
    years_experience: int | None
    mobility: str
    available_on: datetime.date | None
    talent_pool_consent: bool
    texts: dict[str, str]
    call: str
    promotion: str
    wished_defis: list[str]


# Written by hand: the ORM took longer to write this query (a join of five tables and the
# wishes as an array) than PostgreSQL to run it, on the page that staff load most.
_POOL_RESULTS = f"""
    SELECT application.id, person.first_name, person.last_name, person.email,
           application.specialty, application.years_experience, application.mobility,
           application.available_on, application.talent_pool_consent,
           {", ".join(f"application.{name}" for name in SEARCHED_TEXTS)},
           call.title, promotion.name,
           ARRAY(
               SELECT ARRAY[defi.id::text, defi.title]
               FROM candidates_wish AS wish
               JOIN projects_defiposition AS position ON position.id = wish.position_id
               JOIN projects_defi AS defi ON defi.id = position.defi_id
               WHERE wish.application_id = application.id AND wish.withdrawn_at IS NULL
               ORDER BY wish.rank, wish.id
           )
    FROM candidates_application AS application
    JOIN accounts_user AS person ON person.id = application.candidate_id
    JOIN candidates_candidatecall AS call ON call.id = application.call_id
    JOIN programme_promotion AS promotion ON promotion.id = call.promotion_id
    WHERE application.id = ANY(%s)
"""


def _defi_title(pk: str, title: str) -> str:
    return title or str(_("Défi sans titre (n° %(pk)s)") % {"pk": pk})


def _pool_results(ids: list[int]) -> dict[int, PoolResult]:
    """The pool's results `ids` as a page shows them (`PoolResult`), by id. One query."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_POOL_RESULTS, [ids])
        rows = cursor.fetchall()
    texts_end = 9 + len(SEARCHED_TEXTS)
    return {
        row[0]: PoolResult(
            pk=row[0],
            name=f"{row[1]} {row[2]}".strip() or row[3],
            specialty=row[4],
            years_experience=row[5],
            mobility=row[6],
            available_on=row[7],
            talent_pool_consent=row[8],
            texts=dict(zip(SEARCHED_TEXTS, row[9:texts_end], strict=True)),
            call=row[texts_end],
            promotion=row[texts_end + 1],
            wished_defis=[_defi_title(pk, title) for pk, title in row[texts_end + 2]],
        )
        for row in rows
    }


def _planned_for_its_values(sql: str, params: list) -> list[tuple]:
    """The rows of the query `sql`, planned by PostgreSQL for the values it is sent this time,
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
        cursor.execute(sql, params)
        return cursor.fetchall()


# A page of the pool, numbered and counted in one pass over its bounded dossiers (`recent`,
# the filters' query as the ORM writes it, newest first): the matches of a word are found
# once, and no list of ids goes back and forth. With words, each of these dossiers is
# ranked from its search row, read again by its key: carrying the lexemes of every match
# through the search for the newest ones cost twice as much for a word found in a dossier
# out of five. `skipped`: the rows before the page, those before the last page at most
# (none when there is no row), so that a page past the last one is the last one.
_POOL_PAGE = """
    SELECT id, total FROM (
        SELECT recent.id, COUNT(*) OVER () AS total,
               ROW_NUMBER() OVER (
                   ORDER BY {rank} recent.submitted_at DESC, recent.id DESC
               ) AS position
        FROM ({recent}) AS recent (id, submitted_at) {search}
    ) AS numbered
    CROSS JOIN LATERAL (
        SELECT LEAST(%s, (LEAST(total, %s) - 1) / %s * %s) AS skipped
    ) AS bounds
    WHERE position > skipped AND position <= LEAST(skipped + %s, %s)
    ORDER BY position
"""
_POOL_RANK = "ts_rank(search.vector, websearch_to_tsquery('french', %s)) DESC,"
_POOL_SEARCH_ROW = (
    "JOIN candidates_applicationsearch AS search ON search.application_id = recent.id"
)


def pool_page(queryset: QuerySet[Application], number, size: int, *, words: str = "") -> Page:
    """Page `number` of the pool's `queryset` as `pool_search` filters it (the last page
    past it, the first one for junk), ranked by relevance to the `words` searched, newest
    first without them, in three queries whatever the number of dossiers: the page's ids
    and the total; then those dossiers, with only what a result shows, and their wished
    défis (`_pool_results`).

    Only the most recent dossiers selected are counted and ranked, one more than the pages
    show (`POOL_COUNT_MAX`, `POOL_RANKED_MAX` with words) so that the page knows there are
    more (`page.capped`: it says « plus de … » and asks to refine). A word found in most
    dossiers would otherwise have PostgreSQL rank every one of them at each page, when the
    newest profiles are the ones staff look for first; the page says so."""
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    folded = _folded(words)
    bound = POOL_RANKED_MAX if folded else POOL_COUNT_MAX
    # Newest first, as the application_pool_recent index lists them: PostgreSQL stops
    # after these.
    recent = queryset.order_by(*_RECENT).values_list("pk", "submitted_at")[: bound + 1]
    try:
        sql, params = recent.query.sql_with_params()
    except EmptyResultSet:  # invalid filters, or a filter that nothing can match
        rows = []
    else:
        page_sql = _POOL_PAGE.format(
            rank=_POOL_RANK if folded else "",
            recent=sql,
            search=_POOL_SEARCH_ROW if folded else "",
        )
        limits = [(number - 1) * size, bound, size, size, size, bound]
        rows = _planned_for_its_values(page_sql, [*([folded] if folded else []), *params, *limits])
    total = rows[0][1] if rows else 0
    shown = min(total, bound)
    ids = [pk for pk, _total in rows]
    found = _pool_results(ids)
    paginator = Paginator([], size)
    paginator.count = shown
    number = min(number, max((shown - 1) // size + 1, 1))
    page = Page([found[pk] for pk in ids if pk in found], number, paginator)
    page.capped = total > bound
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


def pool_export_rows(queryset: QuerySet[Application], words: str = "") -> QuerySet:
    """The rows of an export of the pool (the dossiers `pool_search` selected, all of
    them, the most relevant to the `words` first, else the newest): plain tuples, the held
    wishes' défis joined in rank order, one query."""
    query = pool_search_query(words)
    if query is not None:
        queryset = queryset.annotate(rank=SearchRank(F("search__vector"), query)).order_by(
            "-rank", *_RECENT
        )
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


def application_for_candidate(application: Application, *, with_history: bool = True, events=None):
    """(the state the candidate reads, its label, their application's history, oldest
    first). A decision the jury has not sent yet stays out of all three: the candidate
    reads the state before it, and the history up to it (`Application.decision_disclosed`).
    Without `with_history`, the history is read only when a decision is held back (the
    state before it is in it), and not returned. `events`: the history, when the caller
    read it already (`history_attach`)."""
    if application.decision_disclosed and not with_history:
        return application.state, application.get_state_display(), []
    events = list(history_for(application) if events is None else events)
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
