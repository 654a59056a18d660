"""Filters of the jury's staff pages (ranking, assignment), for every domain: each takes the
jury's `JuryDomain`, which names the dossier's fields and words its labels."""

from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from eig.jury.forms import model_choices_set
from eig.jury.models import JuryMember
from eig.jury.selectors import jury_members_active
from eig.jury.stages import stage_ref

# The orders of the ranking: (label, field, descending). Empty figures always go last, and
# ties go by dossier number so that a page boundary never moves. The title's label and
# field are the domain's (see `RankingFilter.__init__`).
RANKING_SORTS = {
    "weighted": (_("Note pondérée (la meilleure d'abord)"), "weighted", True),
    # Each juror's scores standardised over their own evaluations: a harsh or a lenient
    # juror no longer decides the order (see `eig.jury.selectors`).
    "normalised": (_("Note normalisée par juré (la meilleure d'abord)"), "normalised", True),
    "mean": (_("Moyenne des jurés"), "mean", True),
    "median": (_("Médiane des jurés"), "median", True),
    "spread": (_("Écart entre jurés (le plus grand d'abord)"), "spread", True),
    "done": (_("Évaluations soumises (les moins avancés d'abord)"), "done", False),
    "title": (_("Titre"), "title", False),
}


class RankingFilter(django_filters.FilterSet):
    """Filters and order of the staff ranking, on the rows of `jury_ranking`. Without a
    `tri`, the rows keep the selector's order: best weighted score first."""

    q = django_filters.CharFilter(label=_("Rechercher"), method="search")
    state = django_filters.ChoiceFilter(label=_("État"), choices=[], empty_label=_("Tous"))
    shortlisted = django_filters.ChoiceFilter(
        label=_("Présélection"),
        choices=[("oui", _("Présélectionnés")), ("non", _("Non présélectionnés"))],
        empty_label=_("Tous"),
        method="filter_shortlisted",
    )
    complete = django_filters.BooleanFilter(
        label=_("Seulement les dossiers dont toutes les évaluations sont soumises"),
        widget=forms.CheckboxInput,
        method="filter_complete",
    )
    large_spread = django_filters.BooleanFilter(
        label=_("Seulement les écarts importants"),
        widget=forms.CheckboxInput,
        method="filter_large_spread",
    )
    tri = django_filters.ChoiceFilter(
        label=_("Trier par"),
        choices=[(key, label) for key, (label, _field, _desc) in RANKING_SORTS.items()],
        empty_label=None,
        method="sort",
    )

    def __init__(self, *args, domain, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain = domain
        nouns = domain.nouns
        state = self.filters["state"]
        state.label = f"État {nouns.of}"
        state.extra["choices"] = [
            (value, domain.state_label(value)) for value in domain.jury_states
        ]
        state.field_name = domain.state_field
        self.filters[
            "complete"
        ].label = f"Seulement les {nouns.plural} dont toutes les évaluations sont soumises"
        sort = self.filters["tri"]
        sort.extra["choices"] = [
            (key, f"Titre {nouns.of}" if key == "title" else label)
            for key, (label, _field, _desc) in RANKING_SORTS.items()
            if key != "title" or domain.title_field
        ]

    def search(self, queryset, name, value):
        fields = [f for f in (self.domain.title_field, self.domain.holder_field) if f]
        return queryset.filter(reduce(or_, [Q(**{f"{f}__icontains": value}) for f in fields]))

    def filter_shortlisted(self, queryset, name, value):
        return queryset.filter(shortlisted_at__isnull=value != "oui")

    def filter_complete(self, queryset, name, value):
        return queryset.filter(due__gt=0, done=F("due")) if value else queryset

    def filter_large_spread(self, queryset, name, value):
        return queryset.filter(spread_flagged=True) if value else queryset

    def sort(self, queryset, name, value):
        _label, field, descending = RANKING_SORTS[value]
        if value == "title":
            field = self.domain.title_field
        order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return queryset.order_by(order, "pk")


class AssignmentFilter(django_filters.FilterSet):
    """Filters of the staff assignment page, on the rows of `assignment_rows`: the
    dossiers that miss jurors, the dossiers of one juror."""

    manque = django_filters.BooleanFilter(
        label=_("Seulement les dossiers qui manquent de jurés"),
        widget=forms.CheckboxInput,
        method="filter_lacking",
    )
    jure = django_filters.ModelChoiceFilter(
        label=_("Juré"),
        queryset=JuryMember.objects.none(),
        empty_label=_("Tous"),
        method="filter_member",
        error_messages={"invalid_choice": _("Ce juré n'est pas dans le jury.")},
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    def __init__(self, *args, domain, jury, members=None, stage=None, **kwargs):
        """`members`: the jury's active members when the page has them already (see
        `EvaluationAddForm`); `stage`: the stage the page shows (the first when None)."""
        super().__init__(*args, **kwargs)
        self.domain, self.jury, self.stage = domain, jury, stage
        self.filters["manque"].label = f"Seulement les {domain.nouns.plural} qui manquent de jurés"
        self.filters["jure"].queryset = jury_members_active(jury).select_related("user")
        if members is not None:
            model_choices_set(self.form.fields["jure"], members)

    def filter_lacking(self, queryset, name, value):
        return queryset.filter(assigned__lt=self.jury.jurors_per_dossier) if value else queryset

    def filter_member(self, queryset, name, value):
        # A subquery, not a join: the join would multiply the rows that `assigned` counts.
        mine = self.domain.evaluation_model.objects.filter(
            member=value, stage=stage_ref(self.jury, self.stage)
        )
        return queryset.filter(pk__in=mine.values(self.domain.dossier_id_field))
