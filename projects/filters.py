import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eig.programme.models import Promotion, Specialty


class CatalogueFilter(django_filters.FilterSet):
    """Filters of the public catalogue of défis."""

    promotion = django_filters.ModelChoiceFilter(
        label=_("Promotion"),
        field_name="call__promotion",
        queryset=Promotion.objects.order_by("-year", "-number"),
        empty_label=_("Toutes"),
    )
    specialty = django_filters.ChoiceFilter(
        label=_("Métier"),
        field_name="positions__specialty",
        choices=Specialty.choices,
        empty_label=_("Tous"),
        distinct=True,
    )
    q = django_filters.CharFilter(label=_("Rechercher"), method="search")

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(summary__icontains=value)
            | Q(administration__name__icontains=value)
            | Q(town__icontains=value)
        )
