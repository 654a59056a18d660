"""How every form of the site, the admin's included, renders its widgets."""

from pathlib import Path

import django.forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.functional import cached_property


class FormRenderer(DjangoTemplates):
    """Django's form renderer, with `templates/forms/` looked up first.

    It holds one template: the <option> of a select, so that the blank choice Django writes
    "---------" (ModelChoiceField's empty_label, a model field's blank choice, in the DSFR
    pages and in the admin alike) reads « Choisir… ». One place instead of an empty_label
    on every field, and the forms of the libraries follow."""

    @cached_property
    def engine(self):
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(settings.BASE_DIR) / "templates" / "forms",
                    Path(django.forms.__file__).parent / "templates",
                ],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )
