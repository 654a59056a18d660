"""Security headers that Django does not set itself."""

from django.conf import settings


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`{"camera": [], "fullscreen": ["self"]}` -> `camera=(), fullscreen=(self)`."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header of settings.PERMISSIONS_POLICY to every response,
    unless a view has set its own."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy_header(settings.PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class DebugErrorPagesMiddleware:
    """With DEBUG on, Django's own error pages (technical 404 and 500) are made of inline
    styles and scripts: they leave without a Content-Security-Policy, or they are unreadable.
    Sits after django-csp's middleware, so that it marks the response first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in (404, 500):
            response._csp_exempt = True
        return response
