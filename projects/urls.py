from django.urls import path, register_converter

from eig.converters import TokenConverter
from projects.views import defis as views
from projects.views import jury

app_name = "projects"

register_converter(TokenConverter, "token")

urlpatterns = [
    path("", views.home, name="home"),
    path("appels/<slug:slug>/", views.call_page, name="call_detail"),
    path("appels/<slug:slug>/nouveau-defi/", views.defi_start, name="defi_start"),
    path("defis/", views.catalogue, name="catalogue"),
    path("defis/<int:pk>/", views.catalogue_detail, name="catalogue_detail"),
    path("espace/defis/", views.my_defis, name="my_defis"),
    path("espace/defis/<int:pk>/", views.defi_detail, name="defi_detail"),
    path("espace/defis/<int:pk>/apercu/", views.defi_preview, name="defi_preview"),
    path("espace/defis/<int:pk>/presentation.pdf", views.defi_pitch_deck, name="defi_pitch_deck"),
    path("espace/defis/<int:pk>/inviter/", views.defi_invite, name="defi_invite"),
    path("espace/defis/<int:pk>/simulation/", views.defi_simulation, name="defi_simulation"),
    path("espace/defis/<int:pk>/<slug:section>/", views.defi_section, name="defi_section"),
    path("espace/defis/<int:pk>/action/<slug:action>/", views.defi_action, name="defi_action"),
    path(
        "espace/invitations/<token:token>/", views.defi_invitation_accept, name="invitation_accept"
    ),
    # The défi's pitch deck, for the juror who evaluates it (the engine's page links here).
    path(
        "jury/defis/evaluations/<int:pk>/presentation.pdf",
        jury.evaluation_pitch_deck,
        name="evaluation_pitch_deck",
    ),
]
