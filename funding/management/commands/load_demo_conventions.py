"""`manage.py load_demo_conventions`: after load_demo, prepare the conventions of the demo's
promotion 8, name their signatories and send them for signature, so that agent.culture@ (a
named signatory of the Ministère de la Culture) has one to sign."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from eig.accounts.models import User
from eig.programme.models import Promotion
from funding.models import Convention, ConventionVersion
from funding.pdf import convention_version_render
from funding.services import amendments, preparation, signatures

# Fictitious names, in the form the text uses ("fonction et nom").
DINUM_SIGNATORY = "Le directeur interministériel du numérique, Jean Dupont"
DEMO_SIGNATORIES = {
    "Ministère de la Culture": "Sophie Garnier, cheffe du bureau de l'innovation numérique",
}


class Command(BaseCommand):
    help = "Prépare et envoie les conventions de la promotion de démonstration (après load_demo)."

    def handle(self, *args, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError("Les données de démonstration sont refusées sur cet environnement.")
        promotion = Promotion.objects.filter(code="8").first()
        staff = User.objects.filter(email="staff@demo.eig.fr").first()
        if promotion is None or staff is None:
            raise CommandError("Lancez d'abord « manage.py load_demo ».")
        with transaction.atomic():
            report = preparation.conventions_prepare_for_promotion(promotion=promotion, actor=staff)
        for administration, message in report.refused:
            self.stderr.write(self.style.WARNING(f"{administration} : {message}"))
        drafts = ConventionVersion.objects.filter(
            convention__promotion=promotion, state=ConventionVersion.State.DRAFT
        ).select_related("convention")
        for version in drafts:
            # The text names both signatories before it is sent (the service refuses it
            # otherwise).
            convention = version.convention
            if not (convention.signatory and convention.dinum_signatory):
                with transaction.atomic():
                    version = amendments.convention_update(
                        convention=convention,
                        actor=staff,
                        signatory=convention.signatory
                        or DEMO_SIGNATORIES.get(
                            convention.administration.name, "Le secrétaire général"
                        ),
                        dinum_signatory=convention.dinum_signatory or DINUM_SIGNATORY,
                    )
            # Rendered here rather than by the worker: the demo must be ready when it opens.
            version = convention_version_render(version_id=version.pk)
            signatures.convention_version_send(version=version, actor=staff)
        count = Convention.objects.filter(promotion=promotion).count()
        self.stdout.write(
            self.style.SUCCESS(f"Conventions de démonstration : {count} pour la {promotion}.")
        )
