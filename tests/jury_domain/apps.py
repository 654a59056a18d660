from django.apps import AppConfig


class JuryTestDomainConfig(AppConfig):
    name = "tests.jury_domain"
    label = "jury_testdomain"
    verbose_name = "Domaine de jury de test"

    def ready(self):
        from eig.history import labels
        from eig.jury.registry import register
        from tests.jury_domain.jury import ENTRY_JURY
        from tests.jury_domain.models import Entry

        register(ENTRY_JURY)
        labels.register(Entry, actions=Entry.Action, states=Entry.State)
