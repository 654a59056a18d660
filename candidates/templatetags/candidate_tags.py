from django import template

from candidates.models import Application

register = template.Library()


@register.inclusion_tag("candidates/includes/my_applications.html")
def my_applications(user):
    """The person's applications, newest call first, for their personal space."""
    applications = (
        Application.objects.filter(candidate=user)
        .select_related("call__promotion")
        .order_by("-call__closes_at")
    )
    return {"applications": list(applications)}
