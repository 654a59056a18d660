from django.apps import AppConfig


class FundingConfig(AppConfig):
    # Conventions, their PDFs, versions and signatures, and the budget follow-up.
    name = "funding"
    verbose_name = "Financement et conventions"

    def ready(self):
        from eig.accounts.todos import register_todos
        from eig.history import labels
        from funding.models import ConventionVersion
        from funding.todos import agent_todos, staff_todos

        register_todos("funding.agent", agent_todos)
        register_todos("funding.staff", staff_todos)
        labels.register(
            ConventionVersion,
            actions=ConventionVersion.Action,
            states=ConventionVersion.State,
        )
