from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "eig.programme"
    label = "programme"
    verbose_name = "Programme : administrations et promotions"
