"""Presentation helpers of the défi pages: labelled values of a section, state badges, the
position of a section in the form."""

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from projects.models import Defi, ProjectCall
from projects.sections import SECTIONS, section_field_values

register = template.Library()

_BADGE_CLASSES = {
    Defi.State.DRAFT: "fr-badge--info",
    Defi.State.SUBMITTED: "fr-badge--success",
    Defi.State.WITHDRAWN: "fr-badge--warning",
    Defi.State.SHORTLISTED: "fr-badge--new",
    Defi.State.SELECTED: "fr-badge--success",
    Defi.State.WAITING_LIST: "fr-badge--warning",
    Defi.State.NOT_SELECTED: "fr-badge--error",
}


@register.filter
def defi_state_badge(state: str) -> str:
    """The DSFR badge modifier of a défi state; the label always says the state in words."""
    return _BADGE_CLASSES.get(state, "")


@register.simple_tag
def defi_fields(defi: Defi, section) -> list[tuple[str, str]]:
    """(label, value) of each field of a section, for read-only display. Booleans read
    "Oui" / "Non"; an empty answer is an empty string, which the template names."""
    return section_field_values(defi, section)


@register.simple_tag
def section_step(sections: list[dict], section) -> dict:
    """Where `section` stands in the status list of the défi's sections: its number, the
    total, and the title of the following section (empty for the last one)."""
    keys = [item["section"].key for item in sections]
    index = keys.index(section.key)
    following = sections[index + 1]["section"].title if index + 1 < len(sections) else ""
    return {"number": index + 1, "total": len(sections), "next_title": following}


@register.simple_tag
def missing_by_section(missing: list[str], sections) -> list[dict]:
    """Pair each sentence of `missing` (which starts with its section's title, see
    `selectors.defi_missing_by_section`) with its section, so that the page can link to it.
    A sentence that names no section keeps `section` None."""
    pairs = []
    for sentence in missing:
        section = next((s for s in sections if sentence.startswith(f"{s.title} :")), None)
        pairs.append({"section": section, "text": sentence})
    return pairs


@register.simple_tag
def defi_form_sections():
    """The sections of the défi form, for the pages that announce what to prepare."""
    return SECTIONS


@register.filter
def call_status(call: ProjectCall) -> str:
    """The call's phase: upcoming, open or closed, with the bounds of `ProjectCall.is_open`."""
    now = timezone.now()
    if now < call.opens_at:
        return "upcoming"
    return "open" if call.is_open(now) else "closed"


@register.filter
def defi_specialties(defi: Defi) -> list[str]:
    """The métiers a défi seeks, each named once, in the order of its positions (which the
    page's selector prefetches)."""
    labels = []
    for position in defi.positions.all():
        label = position.get_specialty_display()
        if label not in labels:
            labels.append(label)
    return labels


# What the public presentation of a défi may contain once rendered: text formatting, lists,
# headings, links, quotes. Anything else (scripts, images, iframes, styles) is removed.
_PUBLIC_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "blockquote",
    "h3",
    "h4",
    "h5",
    "h6",
    "code",
    "pre",
    "hr",
}


@register.filter
def public_markdown(text: str) -> str:
    """Markdown of the programme's public site, rendered and sanitised. Headings move down
    two levels so that the page's own h1 and h2 stay on top."""
    import markdown
    import nh3

    html = markdown.markdown(text or "", extensions=["sane_lists"])
    for level in (4, 3, 2, 1):  # from the deepest first, so that no heading moves twice
        target = min(level + 2, 6)
        html = html.replace(f"<h{level}>", f"<h{target}>").replace(f"</h{level}>", f"</h{target}>")
    clean = nh3.clean(
        html, tags=_PUBLIC_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer"
    )
    return mark_safe(clean)  # sanitised by nh3 just above
