from django.urls import path

from eig.programme import views

app_name = "programme"

urlpatterns = [
    path("mon-administration/", views.administration_choose, name="administration_choose"),
]
