"""The staff back office's site: Django's admin, with accessible names on the widgets that
Django renders without one.

Every ModelAdmin registered on the site (ours, allauth's, django-dsfr's, auth's) is extended
with `AccessibleAdminMixin`, so that a new model gets the same treatment without anybody
having to remember it. What only exists in the browser (select2 boxes, the filter boxes of
`filter_horizontal`) is named by `static/js/admin.js`, loaded by `templates/admin/base_site.html`.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.forms import MultiWidget, SplitDateTimeWidget
from django.utils.text import capfirst

SPLIT_DATETIME_PARTS = ("date", "heure")


def _inner(widget):
    # RelatedFieldWidgetWrapper renders the widget it wraps, with that widget's attributes.
    return getattr(widget, "widget", widget)


def name_widgets(form_class, *, in_table: bool) -> None:
    """Gives an `aria-label` to the inputs of `form_class` that have no <label> of their own:
    the parts of a date-and-time field (Django labels only the whole, with a <legend>) and,
    in a tabular inline, every input (the column header is no label)."""
    for field in form_class.base_fields.values():
        label = capfirst(str(field.label or ""))
        widget = _inner(field.widget)
        if not label:
            continue
        if isinstance(widget, MultiWidget):
            parts = (
                SPLIT_DATETIME_PARTS
                if isinstance(widget, SplitDateTimeWidget)
                else [str(i) for i in range(1, len(widget.widgets) + 1)]
            )
            for sub, part in zip(widget.widgets, parts, strict=True):
                sub.attrs.setdefault("aria-label", f"{label} ({part})")
        elif in_table and not widget.is_hidden:
            widget.attrs.setdefault("aria-label", label)


def _formset_naming_delete(formset):
    """`formset`, whose "delete" checkboxes (added per form, after base_fields) are named."""

    def add_fields(self, form, index):
        super(named, self).add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs.setdefault("aria-label", "Supprimer")

    named = type(formset.__name__, (formset,), {"add_fields": add_fields})
    return named


class AccessibleAdminMixin:
    def get_form(self, request, *args, **kwargs):
        form = super().get_form(request, *args, **kwargs)
        name_widgets(form, in_table=False)
        return form

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            in_table = isinstance(inline, admin.TabularInline)
            name_widgets(formset.form, in_table=in_table)
            yield (_formset_naming_delete(formset) if in_table else formset), inline


class EigAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AccessibleAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (AccessibleAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)


class EigAdminConfig(AdminConfig):
    default_site = "eig.admin_site.EigAdminSite"
