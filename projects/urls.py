from django.urls import path

from projects import views

app_name = "projects"

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
    path("espace/defis/<int:pk>/<slug:section>/", views.defi_section, name="defi_section"),
    path("espace/defis/<int:pk>/action/<slug:action>/", views.defi_action, name="defi_action"),
    path("espace/invitations/<str:token>/", views.defi_invitation_accept, name="invitation_accept"),
]
