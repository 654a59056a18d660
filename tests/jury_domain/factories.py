import datetime

import factory
from django.utils import timezone

from eig.history.services import record
from eig.programme.models import Specialty
from tests.factories import CandidateFactory
from tests.jury_domain.models import Entry, EntryCall


class EntryCallFactory(factory.django.DjangoModelFactory):
    """A call still open for twenty days, as `ProjectCallFactory`."""

    class Meta:
        model = EntryCall

    title = factory.Sequence(lambda n: f"Appel à candidatures test {n}")
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=20))


class ClosedEntryCallFactory(EntryCallFactory):
    closes_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class EntryFactory(factory.django.DjangoModelFactory):
    """A submitted application, sent from an e-mail domain of its own (so no automatic
    conflict with the jurors of `tests.factories`, all on exemple.gouv.fr)."""

    class Meta:
        model = Entry
        skip_postgeneration_save = True

    call = factory.SubFactory(EntryCallFactory)
    owner = factory.SubFactory(CandidateFactory)
    full_name = factory.Sequence(lambda n: f"Dominique Candidat{n}")
    email = factory.Sequence(lambda n: f"dominique.candidat{n}@ecole{n}.example.org")
    specialty = Specialty.DEVELOPMENT
    motivation = "Rendre le service public plus simple."
    state = Entry.State.SUBMITTED

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create:
            record(
                self,
                action=Entry.Action.SUBMITTED,
                to_state=self.state,
                actor=self.owner,
                at=timezone.now(),
            )
