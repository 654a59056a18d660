from django.apps import AppConfig


class CandidatesConfig(AppConfig):
    # Calls for candidates, applications, their evaluation and the talent pool (vivier).
    name = "candidates"
    verbose_name = "Candidatures et vivier"

    def ready(self):
        from candidates.jury import CANDIDATE_JURY
        from candidates.models import Application
        from candidates.personal_data import application_personal_data
        from candidates.services import applications_anonymise_for_erasure
        from candidates.todos import candidate_todos
        from eig.accounts.personal_data import register_erasure, register_personal_data
        from eig.accounts.todos import register_todos
        from eig.history import labels
        from eig.jury.registry import register

        labels.register(Application, actions=Application.Action, states=Application.State)
        register(CANDIDATE_JURY)
        register_todos("candidates.candidate", candidate_todos)
        register_personal_data("candidatures", application_personal_data)
        register_erasure("candidates.applications", applications_anonymise_for_erasure)
