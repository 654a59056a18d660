from django.apps import AppConfig


class HistoryConfig(AppConfig):
    # One history for every state change of every kind of object (see `models.Event`).
    name = "eig.history"
    label = "history"
    verbose_name = "Historique"
