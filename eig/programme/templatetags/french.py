from django import template
from django.utils.html import format_html

from eig.programme.french import format_file_size, ordinal_suffix

register = template.Library()


@register.filter
def ordinal(value, gender=""):
    """{{ 1|ordinal }} → « 1<sup>er</sup> », {{ 1|ordinal:"f" }} → « 1<sup>re</sup> »,
    {{ 2|ordinal }} → « 2<sup>e</sup> »."""
    if value is None or value == "":
        return ""
    return format_html(
        "{}<sup>{}</sup>", int(value), ordinal_suffix(int(value), feminine=gender == "f")
    )


@register.filter
def file_size(value):
    """{{ bytes|file_size }} → « 10,0 Mo », never Django's « 10,0 Mio »."""
    if value is None or value == "":
        return ""
    return format_file_size(value)
