from django.urls import path

from funding import views

app_name = "funding"

urlpatterns = [
    # Staff: budget of each promotion
    path("", views.budget_index, name="budget_index"),
    path("promotions/<int:pk>/", views.budget, name="budget"),
    path("promotions/<int:pk>/preparer/", views.budget_prepare, name="budget_prepare"),
    path("promotions/<int:pk>/budget.csv", views.budget_csv, name="budget_csv"),
    # Staff and agents: a convention, its versions and their signature
    path("mes-conventions/", views.my_conventions, name="my_conventions"),
    path("conventions/<int:pk>/", views.convention_detail, name="convention_detail"),
    path("conventions/<int:pk>/modifier/", views.convention_update, name="convention_update"),
    path("conventions/<int:pk>/versions/<int:number>/pdf/", views.version_pdf, name="version_pdf"),
    path(
        "conventions/<int:pk>/versions/<int:number>/signee/",
        views.version_signed_pdf,
        name="version_signed_pdf",
    ),
    path(
        "conventions/<int:pk>/versions/<int:number>/envoyer/",
        views.version_send,
        name="version_send",
    ),
    path(
        "conventions/<int:pk>/versions/<int:number>/signature-administration/",
        views.version_sign_admin,
        name="version_sign_admin",
    ),
    path(
        "conventions/<int:pk>/versions/<int:number>/signature-dinum/",
        views.version_sign_dinum,
        name="version_sign_dinum",
    ),
    path(
        "conventions/<int:pk>/versions/<int:number>/en-vigueur/",
        views.version_in_force,
        name="version_in_force",
    ),
]
