from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Appels à projets et défis"

    def ready(self):
        from eig.accounts.personal_data import register_personal_data
        from eig.accounts.todos import register_todos
        from eig.history import labels
        from eig.jury.registry import register
        from projects.jury import DEFI_JURY
        from projects.models import Defi
        from projects.selectors.personal_data import defi_personal_data
        from projects.todos import agent_todos, juror_todos, staff_todos

        register(DEFI_JURY)
        register_personal_data("defis", defi_personal_data)
        register_todos("projects.agent", agent_todos)
        register_todos("projects.juror", juror_todos)
        register_todos("projects.staff", staff_todos)
        labels.register(Defi, actions=Defi.Action, states=Defi.State)
