"""The jury's screens, for every domain: jurors under /jury/, staff under /selection/.

Every view finds its domain from the jury (or from the URL's key for evaluations) through the
registry: a key or a pk of another domain answers 404.
"""

from django.urls import path

from eig.jury.views import deliberation, juror, ranking, selection

app_name = "jury"

urlpatterns = [
    # Jurors (views/juror.py)
    path("jury/", juror.dashboard, name="dashboard"),
    path(
        "jury/<slug:domain_key>/evaluations/<int:pk>/",
        juror.evaluation_detail,
        name="evaluation_detail",
    ),
    path(
        "jury/<slug:domain_key>/evaluations/<int:pk>/mettre-a-jour/",
        juror.evaluation_update,
        name="evaluation_update",
    ),
    path("jury/<int:jury_pk>/conflits/", juror.conflicts, name="conflicts"),
    path(
        "jury/<int:jury_pk>/conflits/<int:dossier_pk>/",
        juror.conflict_declare,
        name="conflict_declare",
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
        "selection/<int:jury_pk>/dossiers/<int:dossier_pk>/",
        ranking.selection_dossier,
        name="selection_dossier",
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
        "selection/<int:jury_pk>/auditions/groupes/nouveau/",
        deliberation.selection_group_create,
        name="selection_group_create",
    ),
    path(
        "selection/<int:jury_pk>/auditions/groupes/<int:pk>/",
        deliberation.selection_group_edit,
        name="selection_group_edit",
    ),
    path(
        "selection/<int:jury_pk>/dossiers/<int:dossier_pk>/avis/",
        deliberation.selection_hearing_record,
        name="selection_hearing_record",
    ),
    path(
        "selection/<int:jury_pk>/deliberation/",
        deliberation.selection_deliberation,
        name="selection_deliberation",
    ),
    path(
        "selection/<int:jury_pk>/deliberation/courriers/",
        deliberation.selection_letters,
        name="selection_letters",
    ),
    path(
        "selection/<int:jury_pk>/releves/<int:pk>.pdf",
        deliberation.selection_decision_record,
        name="selection_decision_record",
    ),
]
