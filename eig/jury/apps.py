from django.apps import AppConfig


class JuryConfig(AppConfig):
    name = "eig.jury"
    label = "jury"
    verbose_name = "Jurys"

    def ready(self):
        from eig.accounts.personal_data import register_personal_data
        from eig.jury.personal_data import jury_personal_data

        register_personal_data("jury", jury_personal_data)
