"""What every form of the platform shares: text free of control characters, and one
renderer (the blank choice of a select reads « Choisir… »).

Single-line fields end up in mail subjects, PDF lines, CSV cells and HTML attributes: a line
break there splits a header, a NUL byte makes PostgreSQL fail, and a bidirectional override
(U+202E) shows « ‮fdp.exe » as « exe.pdf ». Multi-line fields keep their line breaks and
tabulations, and refuse the rest.

Every form inherits `Form` or `ModelForm` from here (or `TextGuardMixin` when it extends a
library's form), and every ModelAdmin `AdminInputMixin`: the rule is applied once, to
each text field whatever its name, and tests/eig/test_forms.py checks that no form escapes.
"""

import re
from pathlib import Path

import django.forms
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.renderers import DjangoTemplates
from django.utils.deconstruct import deconstructible
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

EMAIL_MAX_LENGTH = 254

_BIDI = "\u202a-\u202e\u2066-\u2069"
# C0 controls, DEL, C1 controls, the line and paragraph separators, bidi overrides/isolates.
_SINGLE_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
# The same, less line feed, carriage return and tabulation.
_MULTI_LINE_FORBIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")

_NAMES = {
    "\n": "le retour à la ligne",
    "\r": "le retour chariot",
    "\t": "la tabulation",
    "\x00": "le caractère nul",
    "\u2028": "le séparateur de ligne",
    "\u2029": "le séparateur de paragraphe",
}


def _name(char: str) -> str:
    if char in _NAMES:
        return _NAMES[char]
    if re.match(f"[{_BIDI}]", char):
        return "le caractère invisible d'inversion du sens du texte"
    return "le caractère de contrôle invisible"


@deconstructible
class ControlCharacterValidator:
    """Refuse the characters a text of this kind may not hold, naming the first one found
    (it is invisible: the person must be told what to look for)."""

    code = "control_character"

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        if not isinstance(value, str):  # e.g. the parsed value of a JSON field
            return
        pattern = _MULTI_LINE_FORBIDDEN if self.multiline else _SINGLE_LINE_FORBIDDEN
        match = pattern.search(value)
        if match is None:
            return
        char = match.group()
        if self.multiline:
            message = (
                "Retirez %(name)s (U+%(code)s), position %(position)s : ce texte n'accepte "
                "pas les caractères de contrôle invisibles."
            )
        else:
            message = (
                "Retirez %(name)s (U+%(code)s), position %(position)s : ce champ tient sur "
                "une ligne, sans tabulation ni caractère de contrôle invisible."
            )
        raise ValidationError(
            message,
            code=self.code,
            params={
                "name": _name(char),
                "code": f"{ord(char):04X}",
                "position": match.start() + 1,
            },
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator) and self.multiline == other.multiline


single_line_validator = ControlCharacterValidator()
multi_line_validator = ControlCharacterValidator(multiline=True)


def guard_text_field(field: forms.Field) -> None:
    """Add the validator that fits the field's widget, once, and a maximum to an e-mail
    field that has none. Passwords are left alone: they are never shown, mailed nor
    exported, and a rule there would lock people out."""
    if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
        return
    validator = (
        multi_line_validator if isinstance(field.widget, forms.Textarea) else single_line_validator
    )
    if not any(isinstance(v, ControlCharacterValidator) for v in field.validators):
        # The list is the form's own copy (Field.__deepcopy__): the class keeps its fields.
        field.validators.append(validator)
    if isinstance(field, forms.EmailField) and (field.max_length or 321) > EMAIL_MAX_LENGTH:
        # RFC 5321's limit and our columns'. Django's form field allows 320, and allauth
        # cuts a longer sign-up address to fit the column: the mail would go to someone else.
        field.max_length = EMAIL_MAX_LENGTH
        field.validators = [
            v for v in field.validators if not isinstance(v, MaxLengthValidator)
        ] + [MaxLengthValidator(EMAIL_MAX_LENGTH)]
        field.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)


class TextGuardMixin:
    """Guards every text field of the form, those added after `__init__` included (allauth
    adds its e-mail field in the sign-up form's own `__init__`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            guard_text_field(field)

    def full_clean(self):
        for field in self.fields.values():
            guard_text_field(field)
        super().full_clean()


class Form(TextGuardMixin, forms.Form):
    pass


class ModelForm(TextGuardMixin, forms.ModelForm):
    pass


class AdminInputMixin:
    """For every ModelAdmin and inline of the platform. The admin builds its forms from the
    model's fields through `formfield_for_dbfield`, which guards each of them; an inline
    with a `max_num` builds no more forms than that, whatever a forged TOTAL_FORMS says
    (Django's default stops at max_num + 1,000)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None:
            guard_text_field(field)
        return field

    def get_formset(self, request, obj=None, **kwargs):
        max_num = kwargs.get("max_num", self.get_max_num(request, obj))
        if max_num is not None:
            kwargs.setdefault("absolute_max", max_num)
        return super().get_formset(request, obj, **kwargs)


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

    def render(self, template_name, context, request=None):
        # A select is written here, as its two templates would write it: they include one
        # template per option, and the jury's filters list dozens of jurors or
        # administrations (tests/eig/test_forms.py compares both ways on every kind).
        if template_name == _SELECT and _plain_options(context["widget"]):
            return select_html(context["widget"])
        return super().render(template_name, context, request)


_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"


def _plain_options(widget: dict) -> bool:
    return all(
        option["template_name"] == _OPTION
        for _name, options, _index in widget["optgroups"]
        for option in options
    )


def _attrs_html(attrs: dict) -> str:
    # django/forms/widgets/attrs.html
    return "".join(
        f" {conditional_escape(name)}"
        + ("" if value is True else f'="{conditional_escape(str(value))}"')
        for name, value in attrs.items()
        if value is not False
    )


def select_html(widget: dict) -> str:
    """`widget` (a Select's context) as django/forms/widgets/select.html writes it, each
    option as templates/forms/…/select_option.html does (the blank choice « Choisir… »)."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(localize(group_name))}">')
        for option in options:
            label = option["label"]
            label = "Choisir…" if label == "---------" else conditional_escape(localize(label))
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                f"{_attrs_html(option['attrs'])}>{label}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")  # the renderer strips what the template ends with
    return mark_safe("".join(parts))


def fields_only_helper():
    """A crispy helper that writes the fields alone: the page's template owns the <form>,
    its hidden fields and its buttons."""
    from crispy_forms.helper import FormHelper

    helper = FormHelper()
    helper.form_tag = False
    return helper


def textarea_show_limit(field: forms.Field, model_field, *, long_from: int) -> None:
    """A textarea says and enforces its model field's length limit (its
    MaxLengthValidator): `maxlength` in the browser, the limit in its help text, and more
    rows for a text longer than `long_from` characters."""
    limit = next((v.limit_value for v in model_field.validators if hasattr(v, "limit_value")), None)
    field.widget.attrs["rows"] = 5 if (limit or 0) <= long_from else 8
    if limit:
        field.max_length = limit
        field.widget.attrs["maxlength"] = limit
        field.help_text = (
            f"{field.help_text} " if field.help_text else ""
        ) + f"{limit} caractères au plus."
