from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from eig.health import health

admin.site.site_header = "Entrepreneurs d'intérêt général – administration du programme"
admin.site.site_title = "Programme EIG"
admin.site.index_title = "Back-office de l'équipe du programme"
# The admin has no login form of its own: it sends to allauth's, which rate-limits failed
# attempts and asks staff for their second factor. A logged-in non-staff user gets a 403.
admin.site.login = secure_admin_login(admin.site.login)

legal_pages = [
    path(
        "accessibilite/",
        TemplateView.as_view(template_name="pages/accessibilite.html"),
        name="accessibility",
    ),
    path(
        "mentions-legales/",
        TemplateView.as_view(template_name="pages/mentions_legales.html"),
        name="legal_notice",
    ),
    path(
        "donnees-personnelles/",
        TemplateView.as_view(template_name="pages/donnees_personnelles.html"),
        name="privacy",
    ),
    path(
        "plan-du-site/",
        TemplateView.as_view(template_name="pages/plan_du_site.html"),
        name="sitemap",
    ),
]

# allauth answers a rate-limited request with ROOT_URLCONF.handler429.
handler429 = "eig.accounts.views.too_many_requests"

urlpatterns = [
    path("sante/", health, name="health"),
    path("admin/", admin.site.urls),
    path("comptes/", include("allauth.urls")),
    path("espace/", include("eig.accounts.urls")),
    path("administrations/", include("eig.programme.urls")),
    path("financement/", include("funding.urls")),
    path("", include((legal_pages, "pages"))),
    path("", include("eig.jury.urls")),
    path("", include("projects.urls")),
    path("", include("candidates.urls")),
]
