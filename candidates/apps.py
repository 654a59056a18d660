from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    # Calls for candidates, applications, their evaluation and the talent pool (vivier).
    name = "candidates"
    verbose_name = "Candidatures et vivier"
