import re

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from candidates.models import Application, ApplicationReview, Wish
from eig.jury.models import DossierAggregate
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


# The experience bands of the pool's filter: years in the métier, bounds included.
EXPERIENCE_BANDS = {
    "0-2": ((0, 2), _("0 à 2 ans")),
    "3-5": ((3, 5), _("3 à 5 ans")),
    "6-10": ((6, 10), _("6 à 10 ans")),
    "11+": ((11, None), _("Plus de 10 ans")),
}


class PoolFilter(django_filters.FilterSet):
    """Filters of the talent pool: words (searched in the skills, the experience and the
    motivation, accents and case ignored), métier, experience, availability, mobility, a
    wished défi, consent to stay in the pool. The words are searched by the selector."""

    q = django_filters.CharFilter(
        label=_("Rechercher"),
        method="skip",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    specialty = django_filters.ChoiceFilter(
        label=_("Métier"), choices=Specialty.choices, empty_label=_("Tous")
    )
    experience = django_filters.ChoiceFilter(
        label=_("Expérience dans le métier"),
        choices=[(key, label) for key, (_bounds, label) in EXPERIENCE_BANDS.items()],
        empty_label=_("Toutes"),
        method="filter_experience",
    )
    available_by = django_filters.DateFilter(
        label=_("Disponible au plus tard le"),
        field_name="available_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    mobility = django_filters.ChoiceFilter(
        label=_("Mobilité"), choices=Application.Mobility.choices, empty_label=_("Toutes")
    )
    defi = django_filters.ChoiceFilter(
        label=_("Défi parmi ses vœux"),
        choices=[],
        empty_label=_("Tous"),
        method="filter_defi",
    )
    consent = django_filters.BooleanFilter(
        label=_("Accepte de rester dans le vivier"),
        method="filter_consent",
        widget=forms.CheckboxInput,
    )
    # The jury's figures of the application (its stored weighted score at one of the
    # stages), and the hearing panel's « coup de cœur » (P5's internal grid).
    score_min = django_filters.NumberFilter(
        label=_("Note pondérée du jury, au moins"),
        method="filter_score",
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    favourite = django_filters.BooleanFilter(
        label=_("Coup de cœur du jury"),
        method="filter_favourite",
        widget=forms.CheckboxInput,
    )

    def __init__(self, *args, defis: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # Read once: validating and printing the choices then cost no query.
        self.filters["defi"].extra["choices"] = defis

    def skip(self, queryset, name, value):
        return queryset  # searched by the selector, which ranks the results

    def filter_experience(self, queryset, name, value):
        low, high = EXPERIENCE_BANDS[value][0]
        queryset = queryset.filter(years_experience__gte=low)
        return queryset if high is None else queryset.filter(years_experience__lte=high)

    def filter_defi(self, queryset, name, value):
        held = Wish.objects.filter(
            application=OuterRef("pk"), withdrawn_at__isnull=True, position__defi_id=int(value)
        )
        return queryset.filter(Exists(held))

    def filter_score(self, queryset, name, value):
        scored = DossierAggregate.objects.filter(
            jury_id=OuterRef("call__jury_id"), dossier_id=OuterRef("pk"), weighted__gte=value
        )
        return queryset.filter(Exists(scored))

    def filter_favourite(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(ApplicationReview.objects.filter(application=OuterRef("pk"), favourite=True))
        )

    def filter_consent(self, queryset, name, value):
        return queryset.filter(talent_pool_consent=True) if value else queryset
