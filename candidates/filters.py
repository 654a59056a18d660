import re

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eig.programme.models import Specialty


class CallDefiFilter(django_filters.FilterSet):
    """Filters of a call's défis: the métier a position seeks, a theme, words."""

    metier = django_filters.ChoiceFilter(
        label=_("Métier recherché"),
        field_name="positions__specialty",
        choices=Specialty.choices,
        empty_label=_("Tous"),
        distinct=True,
    )
    theme = django_filters.ChoiceFilter(
        label=_("Thématique"), choices=[], empty_label=_("Toutes"), method="filter_theme"
    )
    q = django_filters.CharFilter(
        label=_("Rechercher"),
        method="search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def __init__(self, *args, themes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["theme"].extra["choices"] = [(theme, theme) for theme in themes]

    def filter_theme(self, queryset, name, value):
        # Themes are one text per défi, separated by commas: a theme is one of its items.
        return queryset.filter(themes__iregex=rf"(^|,)\s*{_regex_literal(value)}\s*(,|$)")

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(summary__icontains=value)
            | Q(administration__name__icontains=value)
            | Q(positions__missions__icontains=value)
            | Q(positions__skills__icontains=value)
        ).distinct()


def _regex_literal(text: str) -> str:
    """`text` matched as such in a PostgreSQL regular expression."""
    return re.escape(text)
