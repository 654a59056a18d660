from django.urls import path

from projects.views import defis as views
from projects.views import selection

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
    # Jurors (views/jury.py)
    # Staff: juries, assignment (views/selection.py)
    path("selection/", selection.selection_index, name="selection_index"),
    path("selection/<int:jury_pk>/", selection.selection_jury, name="selection_jury"),
    path(
        "selection/<int:jury_pk>/affectation/",
        selection.selection_assignment,
        name="selection_assignment",
    ),
    path(
        "selection/<int:jury_pk>/affectation/<int:pk>/retirer/",
        selection.selection_unassign,
        name="selection_unassign",
    ),
    path(
        "selection/<int:jury_pk>/jures/<int:pk>/retrait/",
        selection.selection_member_withdraw,
        name="selection_member_withdraw",
    ),
    # Staff: ranking (views/ranking.py)
    # Staff: shortlist, hearings, deliberation (views/deliberation.py)
]
