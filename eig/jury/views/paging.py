"""Pages of the jury's staff tables counted with their rows."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum, Window


def counted_page(queryset, number, size: int, counts: dict[str, Q], sums: dict | None = None):
    """Page `number` of `queryset` (the last one past it, the first one for junk, as
    `Paginator.get_page` does), and how many of its rows match each of `counts` and in
    all (`total`), and the sum over every row of each column of `sums` (name -> column):
    window aggregates over every row, which the page's LIMIT leaves whole, so that the
    page and its figures are one query instead of three."""
    sums = sums or {}
    queryset = queryset.annotate(
        total=Window(Count("pk")),
        **{name: Window(Count("pk", filter=condition)) for name, condition in counts.items()},
        **{name: Window(Sum(column)) for name, column in sums.items()},
    )
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    items = list(queryset[(number - 1) * size : number * size])
    if not items and number > 1:  # past the last page
        first = next(iter(queryset[:1]), None)
        total = (first["total"] if isinstance(first, dict) else first.total) if first else 0
        number = max((total - 1) // size + 1, 1)
        items = list(queryset[(number - 1) * size : number * size])
    totals = {
        name: (item[name] if isinstance(item, dict) else getattr(item, name)) if items else 0
        for item in items[:1] or [None]
        for name in ["total", *counts, *sums]
    }
    paginator = Paginator([], size)
    paginator.count = totals["total"]  # counted with the page: no COUNT query
    return Page(items, number, paginator), totals
