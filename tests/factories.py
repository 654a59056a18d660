import datetime

import factory
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.utils import timezone

from eig.accounts.models import Role, User
from eig.programme.models import Administration, Promotion, Specialty
from projects.models import Defi, DefiPosition, DefiTransition, ProjectCall
from projects.sections import SECTIONS
from tests.pdfs import pdf_bytes

PASSWORD = "mot-de-passe-de-test-2026"


class AdministrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Administration

    name = factory.Sequence(lambda n: f"Direction du numérique n° {n}")
    kind = Administration.Kind.MINISTRY
    town = "Paris"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.gouv.fr")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    roles = factory.LazyFunction(list)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class AgentFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.AGENT])
    administration = factory.SubFactory(AdministrationFactory)
    job_title = "Cheffe de projet"


class CandidateFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.CANDIDATE])


class StaffFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.STAFF])
    is_staff = True
    is_superuser = True


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"t{n}")
    number = factory.Sequence(lambda n: 100 + n)
    name = factory.LazyAttribute(lambda o: f"Promotion {o.number}")
    year = 2027


class ProjectCallFactory(factory.django.DjangoModelFactory):
    """An open call by default: opened ten days ago, closes in twenty."""

    class Meta:
        model = ProjectCall

    promotion = factory.SubFactory(PromotionFactory)
    title = factory.Sequence(lambda n: f"Appel à projets EIG test {n}")
    slug = factory.Sequence(lambda n: f"aap-test-{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=20))


class DefiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Defi
        skip_postgeneration_save = True

    call = factory.SubFactory(ProjectCallFactory)
    owner = factory.SubFactory(AgentFactory)
    administration = factory.LazyAttribute(lambda o: o.owner.administration)
    title = factory.Sequence(lambda n: f"Défi n° {n}")

    @factory.post_generation
    def history(self, create, extracted, **kwargs):
        if create:
            DefiTransition.objects.create(
                defi=self, from_state="", to_state=self.state, actor=self.owner
            )


COMPLETE_TEXT = "Texte de la fiche détaillée."


def fill_defi(defi: Defi, *, positions: int = 2, pitch_deck: bool = True) -> Defi:
    """Fill every required section, as an agent would before submitting."""
    for section in SECTIONS:
        for name in section.fields:
            field = Defi._meta.get_field(name)
            if field.get_internal_type() == "BooleanField":
                setattr(defi, name, True)
            elif name.endswith("_email"):
                setattr(defi, name, f"{name.split('_')[0]}@exemple.gouv.fr")
            elif name == "title":
                continue
            else:
                setattr(defi, name, COMPLETE_TEXT[: field.max_length or 200])
    if pitch_deck:
        defi.pitch_deck.save("pitch.pdf", ContentFile(pdf_bytes(3)), save=False)
    defi.save()
    specialties = [Specialty.DEVELOPMENT, Specialty.DATA_SCIENCE, Specialty.DESIGN]
    for rank in range(1, positions + 1):
        DefiPosition.objects.create(
            defi=defi,
            rank=rank,
            specialty=specialties[rank - 1],
            missions="Construire le service.",
            skills="Python",
        )
    return defi
