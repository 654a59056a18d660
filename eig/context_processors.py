from django.conf import settings
from django.utils.translation import get_language
from dsfr.models import DsfrConfig


def platform(request):
    """What every page's layout needs: the site name and the accessibility status shown in
    the footer. Until an RGAA audit has measured it, the law requires "non conforme", however
    well the automated checks pass."""
    return {
        "PLATFORM_NAME": "Entrepreneurs d'intérêt général",
        "ACCESSIBILITY_STATUS": "non conforme",
        "DEMO_ALLOWED": settings.DEMO_ALLOWED,
    }


def _first_config(where: str, params: list):
    table = DsfrConfig._meta.db_table
    rows = DsfrConfig.objects.raw(f"SELECT * FROM {table} {where} ORDER BY id LIMIT 1", params)
    return next(iter(rows), None)


def site_config(request):
    """django-dsfr's site settings, which every page reads (its mourning flag and its notice
    banner, set by staff in the admin): the row in the current language, else the first
    one, as django-dsfr's own context processor finds them, but in raw queries, which the
    ORM does not have to write on every page."""
    config = _first_config("WHERE language = %s", [get_language()]) or _first_config("", [])
    return {"SITE_CONFIG": config}
