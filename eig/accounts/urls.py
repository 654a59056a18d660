from django.urls import path

from eig.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profil/", views.profile, name="profile"),
    path("mes-donnees/", views.personal_data, name="personal_data"),
    path("mes-donnees/export.json", views.personal_data_export, name="personal_data_export"),
]
