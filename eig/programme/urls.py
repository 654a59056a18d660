from django.urls import path

from eig.programme import views

app_name = "programme"

urlpatterns = [
    path("mon-administration/", views.administration_choose, name="administration_choose"),
    path("<int:pk>/membres/", views.administration_members, name="administration_members"),
    path(
        "rattachements/<int:pk>/approuver/",
        views.membership_decide,
        {"decision": "approve"},
        name="membership_approve",
    ),
    path(
        "rattachements/<int:pk>/refuser/",
        views.membership_decide,
        {"decision": "refuse"},
        name="membership_refuse",
    ),
    path(
        "rattachements/<int:pk>/signataire/",
        views.membership_signatory,
        name="membership_signatory",
    ),
    path("rattachements/<int:pk>/retirer/", views.membership_remove, name="membership_remove"),
]
