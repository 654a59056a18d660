from django.conf import settings


def platform(request):
    """What every page's layout needs: the site name and the accessibility status shown in
    the footer (the RGAA audit has not been carried out yet, so conformity is partial)."""
    return {
        "PLATFORM_NAME": "Entrepreneurs d'intérêt général",
        "ACCESSIBILITY_STATUS": "partiellement conforme",
        "DEMO_ALLOWED": settings.DEMO_ALLOWED,
    }
