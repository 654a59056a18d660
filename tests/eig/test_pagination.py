"""The one pagination of the tables (`templates/includes/pagination.html`): first and last
pages, two on each side of the current one, an ellipsis for the gaps."""

import re

import pytest
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory

# The context processors read the site's settings.
pytestmark = pytest.mark.django_db


def _links(number: int, pages: int = 40) -> list[str]:
    page = Paginator(range(pages * 50), 50).page(number)
    request = RequestFactory().get("/liste/", {"jure": "4", "page": number})
    html = render_to_string(
        "includes/pagination.html", {"page_obj": page, "anchor": "#dossiers"}, request=request
    )
    return re.findall(r'title="Page (\d+)"|(…)', html)


def test_a_long_table_shows_its_ends_and_the_pages_around_the_current_one():
    shown = ["…" if gap else number for number, gap in _links(20)]
    assert shown == ["1", "…", "18", "19", "20", "21", "22", "…", "40"]
    assert ["…" if gap else number for number, gap in _links(1)] == ["1", "2", "3", "…", "40"]


def test_links_keep_the_filters_and_the_anchor():
    page = Paginator(range(200), 50).page(2)
    request = RequestFactory().get("/liste/", {"jure": "4", "page": 2})
    html = render_to_string(
        "includes/pagination.html", {"page_obj": page, "anchor": "#dossiers"}, request=request
    )
    assert 'href="?jure=4&amp;page=3#dossiers"' in html
    assert 'aria-current="page">2<' in html
