from django import template
from django.utils.safestring import mark_safe

register = template.Library()

# What the programme's answers use: paragraphs, lists, emphasis and links.
_FAQ_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a"}


@register.filter
def faq_answer(html: str) -> str:
    """A FAQ answer (HTML from the programme's site, editable in the admin), sanitised:
    only the tags above, links without scripts, opening no window."""
    import nh3

    clean = nh3.clean(
        html or "",
        tags=_FAQ_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # sanitised by nh3 just above
