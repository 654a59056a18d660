from django.conf import settings


def platform(request):
    """What every page's layout needs: the site name and the accessibility status shown in
    the footer. Until an RGAA audit has measured it, the law requires "non conforme", however
    well the automated checks pass."""
    return {
        "PLATFORM_NAME": "Entrepreneurs d'intérêt général",
        "ACCESSIBILITY_STATUS": "non conforme",
        "DEMO_ALLOWED": settings.DEMO_ALLOWED,
    }
