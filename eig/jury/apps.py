from django.apps import AppConfig


class JuryConfig(AppConfig):
    name = "eig.jury"
    label = "jury"
    verbose_name = "Jurys"
