from django import template
from django.utils.html import format_html

from eig.programme.french import format_file_size, of_name, ordinal_suffix, the_name, to_name

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


# An administration in a sentence, with its article (`Administration.article`, guessed from
# the name when empty): « membre {{ administration|de }} » → « membre du ministère de la
# Culture »; « rattachement {{ administration|a }} » → « rattachement à la DINUM »;
# « {{ administration|le|capfirst }} signe » → « Le ministère de la Culture signe ». They take
# an Administration, a convention snapshot's {"name", "article"} or a bare name.


@register.filter(name="le")
def le(value):
    """« le ministère de la Culture », « la DINUM », « l’INSEE », « Pôle emploi »."""
    return the_name(value) if value else ""


@register.filter(name="de")
def de(value):
    """« du ministère de la Culture », « de la DINUM », « de l’INSEE », « des Archives
    nationales », « de Pôle emploi »."""
    return of_name(value) if value else ""


@register.filter(name="a")
def a(value):
    """« au ministère de la Culture », « à la DINUM », « à l’INSEE », « aux Archives
    nationales », « à Pôle emploi »."""
    return to_name(value) if value else ""
