"""Template tags of the DSFR crispy pack (`templates/dsfr_crispy/`), registered as the
library `eig_forms` in the template settings.

`choice_inputs` writes the radio buttons or check boxes of a field in Python, as the pack's
loop over `field|optgroups` wrote them: the hearing group form lists every juror of the
jury, and a template pass per option cost more than the rest of its page
(tests/eig/test_forms.py compares the two)."""

import html

from crispy_forms.templatetags.crispy_forms_filters import optgroups
from crispy_forms.utils import flatatt
from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def choice_inputs(field, choice_type: str, inline_class: str = "") -> str:
    element = "fr-fieldset__element" + (" fr-fieldset__element--inline" if inline_class else "")
    group = "fr-radio-group" if choice_type == "radio" else "fr-checkbox-group"
    parts = []
    for _group, options, _index in optgroups(field):
        for option in options:
            parts.append(
                format_html(
                    '<div class="{}"><div class="{}">'
                    '<input type="{}" name="{}" value="{}"{}>'
                    '<label class="fr-label" for="{}">{}</label></div></div>',
                    element,
                    group,
                    option["type"],
                    option["name"],
                    # `unlocalize`: a value as its string, never "1 000".
                    str(option["value"]),
                    mark_safe(flatatt(option["attrs"])),
                    option["attrs"].get("id", ""),
                    conditional_escape(localize(option["label"])),
                )
            )
    return mark_safe("".join(parts))


@register.simple_tag
def filter_options(field) -> str:
    """The <option>s of a list page's choice filter (templates/includes/filter_select.html),
    the current value selected. Written here rather than in a template loop: the pool's
    four filters list some forty options, each of which compared the field's value again.
    (`html.escape` is what Django's `escape` calls, without its lazy-string wrapper.)"""
    current = field.value()
    current = "" if current is None else str(current)
    options = []
    for value, label in field.field.choices:
        value = str(value)
        selected = " selected" if value == current else ""
        options.append(
            f'<option value="{html.escape(value)}"{selected}>{html.escape(str(label))}</option>'
        )
    return mark_safe("".join(options))
