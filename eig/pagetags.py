"""Template filters of the paginated tables, registered as the library `eig_pages` in the
template settings."""

from django import template

register = template.Library()


@register.filter
def elided_pages(page_obj):
    """The page numbers a pagination shows: the first and last, two on each side of the
    current one, and `Paginator.ELLIPSIS` for the gaps. A table of 2,000 rows has 40
    pages: a link each cost a URL tag per render and a long list to the reader."""
    return page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
