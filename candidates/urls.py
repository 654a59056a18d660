from django.urls import path

from candidates.views import application, interview, jury, pool, public, staff

app_name = "candidates"

urlpatterns = [
    path("candidater/", public.call_list, name="call_list"),
    path("candidater/<slug:slug>/", public.call_detail, name="call_detail"),
    path("candidater/<slug:slug>/defis/", public.call_defis, name="call_defis"),
    path(
        "candidater/<slug:slug>/ma-candidature/", application.application_detail, name="application"
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/commencer/",
        application.application_start,
        name="application_start",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/voeux/",
        application.application_wishes,
        name="application_wishes",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/deposer/",
        application.application_submit,
        name="application_submit",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/retirer/",
        application.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/voeux/<int:pk>/retirer/",
        application.wish_withdraw,
        name="wish_withdraw",
    ),
    # The interview, booked by the candidate (before the sections' catch-all pattern).
    path(
        "candidater/<slug:slug>/ma-candidature/entretien/",
        interview.application_interview_detail,
        name="application_interview",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/entretien/reserver/",
        interview.application_interview_book,
        name="application_interview_book",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/entretien/annuler/",
        interview.application_interview_cancel,
        name="application_interview_cancel",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/entretien/entretien.ics",
        interview.application_interview_ics,
        name="application_interview_ics",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/vivier/",
        application.pool_reconsent,
        name="pool_reconsent",
    ),
    path(
        "candidater/<slug:slug>/ma-candidature/<slug:section>/",
        application.application_section,
        name="application_section",
    ),
    path("jury/candidatures/evaluations/<int:pk>/cv.pdf", jury.evaluation_cv, name="evaluation_cv"),
    # The talent pool, for programme staff.
    path("vivier/", pool.pool_search_page, name="pool"),
    path("vivier/export.csv", pool.pool_export_csv, name="pool_csv"),
    path("vivier/export.xlsx", pool.pool_export_xlsx, name="pool_xlsx"),
    path("vivier/<int:pk>/", pool.pool_dossier_page, name="pool_dossier"),
    path("vivier/<int:pk>/cv/", pool.pool_cv, name="pool_cv"),
    # One application, for programme staff, whatever its state once handed in.
    path("candidatures/<int:pk>/", staff.staff_application_page, name="staff_application"),
    path(
        "candidatures/<int:pk>/<slug:document>.pdf",
        staff.staff_application_document,
        name="staff_application_document",
    ),
]
