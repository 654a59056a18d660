from django import template

from eig.programme.money import format_euros, format_number, format_percent

register = template.Library()


@register.filter
def euros(value, cents=True):
    """{{ amount|euros }} → « 12 345,67 € »; {{ amount|euros:False }} → « 12 346 € »."""
    if value is None or value == "":
        return ""
    return format_euros(value, cents=bool(cents))


@register.filter
def number_fr(value, places=2):
    if value is None or value == "":
        return ""
    return format_number(value, places=int(places))


@register.filter
def percent(value):
    if value is None or value == "":
        return ""
    return format_percent(value)
