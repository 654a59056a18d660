from django.urls import path

from candidates import views

app_name = "candidates"

urlpatterns = [
    path("candidater/", views.call_list, name="call_list"),
    path("candidater/<slug:slug>/", views.call_detail, name="call_detail"),
    path("candidater/<slug:slug>/defis/", views.call_defis, name="call_defis"),
]
