from django.urls import path, register_converter

from eig.converters import TokenConverter
from projects.views import defis as views
from projects.views import deliberation, jury, ranking, selection

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
    # Jurors (views/jury.py)
    path("jury/", jury.jury_dashboard, name="jury_dashboard"),
    path("jury/evaluations/<int:pk>/", jury.evaluation_detail, name="evaluation_detail"),
    path(
        "jury/evaluations/<int:pk>/mettre-a-jour/",
        jury.evaluation_update,
        name="evaluation_update",
    ),
    path(
        "jury/evaluations/<int:pk>/presentation.pdf",
        jury.evaluation_pitch_deck,
        name="evaluation_pitch_deck",
    ),
    path("jury/<int:jury_pk>/conflits/", jury.jury_conflicts, name="jury_conflicts"),
    path(
        "jury/<int:jury_pk>/conflits/<int:defi_pk>/",
        jury.jury_conflict_declare,
        name="jury_conflict_declare",
    ),
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
    path(
        "selection/<int:jury_pk>/classement/",
        ranking.selection_ranking,
        name="selection_ranking",
    ),
    path(
        "selection/<int:jury_pk>/classement.csv",
        ranking.selection_ranking_csv,
        name="selection_ranking_csv",
    ),
    path(
        "selection/<int:jury_pk>/classement.xlsx",
        ranking.selection_ranking_xlsx,
        name="selection_ranking_xlsx",
    ),
    path(
        "selection/<int:jury_pk>/defis/<int:defi_pk>/",
        ranking.selection_defi,
        name="selection_defi",
    ),
    path(
        "selection/<int:jury_pk>/evaluations/<int:pk>/rouvrir/",
        ranking.selection_evaluation_reopen,
        name="selection_evaluation_reopen",
    ),
    # Staff: shortlist, hearings, deliberation (views/deliberation.py)
    path(
        "selection/<int:jury_pk>/preselection/",
        deliberation.selection_shortlist,
        name="selection_shortlist",
    ),
    path(
        "selection/<int:jury_pk>/auditions/",
        deliberation.selection_hearings,
        name="selection_hearings",
    ),
    path(
        "selection/<int:jury_pk>/auditions/groupes/<int:pk>/",
        deliberation.selection_group_edit,
        name="selection_group_edit",
    ),
    path(
        "selection/<int:jury_pk>/auditions/<int:defi_pk>/avis/",
        deliberation.selection_hearing_record,
        name="selection_hearing_record",
    ),
    path(
        "selection/<int:jury_pk>/deliberation/",
        deliberation.selection_deliberation,
        name="selection_deliberation",
    ),
    path(
        "selection/<int:jury_pk>/releves/<int:pk>.pdf",
        deliberation.selection_decision_record,
        name="selection_decision_record",
    ),
]
