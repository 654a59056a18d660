import datetime
import time

import factory
from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.utils import timezone

from candidates.models import CandidateCall
from eig.accounts.models import Role, User
from eig.accounts.services import user_two_factor_set
from eig.history.services import record
from eig.jury.models import Criterion, Jury, JuryMember
from eig.programme.french import guess_article
from eig.programme.models import (
    Administration,
    AdministrationMembership,
    Promotion,
    Specialty,
)
from projects.models import Defi, DefiPosition, ProjectCall
from projects.sections import SECTIONS
from tests.pdfs import pdf_bytes

PASSWORD = "mot-de-passe-de-test-2026"
# The authenticator-app secret of every StaffFactory user (base32, as the apps take it).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The code an authenticator app shows now (or at `at`, a Unix time) for the secret."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret, counter))


class AdministrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Administration

    name = factory.Sequence(lambda n: f"Direction du numérique n° {n}")
    # As administration_create and the admin do.
    article = factory.LazyAttribute(lambda administration: guess_article(administration.name))
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


def verified_membership(user: User, *, signatory: bool = False) -> None:
    """What the services leave behind once someone is a verified member of
    `user.administration`: the membership and its history event."""
    if not user.administration_id:
        return
    membership = AdministrationMembership.objects.create(
        user=user,
        administration_id=user.administration_id,
        state=AdministrationMembership.State.VERIFIED,
        verified_via=AdministrationMembership.Via.STAFF,
        is_signatory=signatory,
        decided_at=timezone.now(),
    )
    record(
        membership,
        action=AdministrationMembership.Action.VERIFIED,
        actor=None,
        to_state=membership.state,
    )


class AgentFactory(UserFactory):
    """An agent who is a verified member of their administration (not a signatory); pass
    `administration=None` for an agent who has not joined one, or `signatory=True`."""

    roles = factory.LazyFunction(lambda: [Role.AGENT])
    administration = factory.SubFactory(AdministrationFactory)
    job_title = "Cheffe de projet"

    @factory.post_generation
    def signatory(self, create, extracted, **kwargs):
        if create:
            verified_membership(self, signatory=bool(extracted))


class SignatoryAgentFactory(AgentFactory):
    """A verified member whom the administration named signatory of its conventions."""

    signatory = factory.PostGeneration(
        lambda user, create, extracted, **kwargs: (
            create
            and verified_membership(user, signatory=True if extracted is None else bool(extracted))
        )
    )


class CandidateFactory(UserFactory):
    roles = factory.LazyFunction(lambda: [Role.CANDIDATE])


class StaffFactory(UserFactory):
    """Programme staff, enrolled in two-factor authentication (secret TOTP_SECRET), as every
    staff member must be before reaching a staff page."""

    roles = factory.LazyFunction(lambda: [Role.STAFF])
    is_staff = True
    is_superuser = True

    @factory.post_generation
    def two_factor(self, create, extracted, **kwargs):
        if create and extracted is not False:
            user_two_factor_set(user=self, totp_secret=TOTP_SECRET)


class JurorFactory(UserFactory):
    """A juror from an administration of their own, so no automatic conflict by default."""

    roles = factory.LazyFunction(lambda: [Role.JUROR])
    administration = factory.SubFactory(AdministrationFactory)

    @factory.post_generation
    def membership(self, create, extracted, **kwargs):
        if create:
            verified_membership(self)


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


class ClosedProjectCallFactory(ProjectCallFactory):
    """A call whose submissions are over (closed yesterday): the jury's time."""

    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=40))
    closes_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))


class CandidateCallFactory(factory.django.DjangoModelFactory):
    """An open call for candidates, wishes with the application: opened ten days ago,
    closes in twenty."""

    class Meta:
        model = CandidateCall

    promotion = factory.SubFactory(PromotionFactory)
    title = factory.Sequence(lambda n: f"Appel à candidatures EIG test {n}")
    slug = factory.Sequence(lambda n: f"aac-test-{n}")
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
            record(self, action=Defi.Action.CREATED, to_state=self.state, actor=self.owner)


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


SCALE_LABELS = {
    "1": "pas du tout satisfaisant",
    "2": "peu satisfaisant",
    "3": "satisfaisant",
    "4": "excellent",
}


class JuryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jury

    name = factory.Sequence(lambda n: f"Jury de présélection {n}")
    domain = "defis"
    jurors_per_dossier = 2


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    jury = factory.SubFactory(JuryFactory)
    position = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Critère {n}")
    weight = 1
    scale_min = 1
    scale_max = 4
    scale_labels = factory.LazyFunction(lambda: dict(SCALE_LABELS))


class JuryMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JuryMember

    jury = factory.SubFactory(JuryFactory)
    user = factory.SubFactory(JurorFactory)


def jury_with_grid(
    *, criteria: int = 3, jurors: int = 0, k: int = 2, domain: str = "defis"
) -> Jury:
    """A jury of `domain` with a grid of `criteria` lines (weights 1, 2, 1…) and `jurors`
    members."""
    jury = JuryFactory(jurors_per_dossier=k, domain=domain)
    for position in range(1, criteria + 1):
        CriterionFactory(jury=jury, position=position, weight=2 if position == 2 else 1)
    for _ in range(jurors):
        JuryMemberFactory(jury=jury)
    return jury


def jury_for_call(call: ProjectCall, *, criteria: int = 3, jurors: int = 0, k: int = 2) -> Jury:
    """A jury on `call` with a grid of `criteria` lines (weights 1, 2, 1…) and `jurors`
    members."""
    jury = jury_with_grid(criteria=criteria, jurors=jurors, k=k)
    call.jury = jury
    call.save(update_fields=["jury"])
    return jury


def submitted_defi(call: ProjectCall, **kwargs) -> Defi:
    """A complete défi, submitted to `call`."""
    defi = fill_defi(DefiFactory(call=call, **kwargs))
    defi.state = Defi.State.SUBMITTED
    defi.submitted_at = timezone.now()
    defi.save(update_fields=["state", "submitted_at"])
    record(
        defi,
        action=Defi.Action.SUBMITTED,
        from_state=Defi.State.DRAFT,
        to_state=Defi.State.SUBMITTED,
        actor=defi.owner,
    )
    return defi


# --- Funding ------------------------------------------------------------------------------


def funded_promotion(preset: str = "6", *, envelope=None, **kwargs) -> Promotion:
    """A promotion under the real rules of promotion `preset` (3 to 7), with an optional
    budget envelope."""
    from eig.programme.presets import promotion_apply_funding_preset

    promotion = PromotionFactory(budget_envelope=envelope, **kwargs)
    promotion_apply_funding_preset(promotion=promotion, key=preset)
    return promotion


def ministry(**kwargs) -> Administration:
    """A ministry with its budget programme: it receives co-financing directly."""
    kwargs.setdefault("budget_programme", "129")
    return AdministrationFactory(kind=Administration.Kind.MINISTRY, **kwargs)


def operator_of(parent: Administration, **kwargs) -> Administration:
    """An operator of `parent`, without a budget programme: its ministry signs for it."""
    return AdministrationFactory(kind=Administration.Kind.OPERATOR, parent=parent, **kwargs)


def selected_defi(
    promotion: Promotion, administration: Administration, *, positions: int = 2, **kwargs
) -> Defi:
    """A complete défi of `administration` that the jury selected in `promotion`'s call."""
    call = ProjectCall.objects.filter(promotion=promotion).first() or ClosedProjectCallFactory(
        promotion=promotion
    )
    owner = kwargs.pop("owner", None) or AgentFactory(administration=administration)
    defi = fill_defi(
        DefiFactory(call=call, owner=owner, administration=administration, **kwargs),
        positions=positions,
    )
    defi.state = Defi.State.SELECTED
    defi.submitted_at = timezone.now()
    defi.save(update_fields=["state", "submitted_at"])
    record(
        defi,
        action=Defi.Action.DECIDED,
        from_state=Defi.State.SUBMITTED,
        to_state=Defi.State.SELECTED,
        actor=None,
    )
    return defi


DEMO_SIGNATORY = "La secrétaire générale, Camille Martin"
DEMO_DINUM_SIGNATORY = "La directrice interministérielle du numérique"


def name_signatories(convention, actor):
    """Name both signatories of a draft convention, as staff do before sending it (the PDF
    is rendered again after commit)."""
    from funding.services import amendments

    return amendments.convention_update(
        convention=convention,
        actor=actor,
        signatory=DEMO_SIGNATORY,
        dinum_signatory=DEMO_DINUM_SIGNATORY,
    )
