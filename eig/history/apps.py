from django.apps import AppConfig


class HistoryConfig(AppConfig):
    # One history for every state change of every kind of object (see `models.Event`).
    name = "eig.history"
    label = "history"
    verbose_name = "Historique"

    def ready(self):
        from eig.accounts.personal_data import register_personal_data
        from eig.history.selectors import history_personal_data

        register_personal_data("historique_de_vos_actions", history_personal_data)
