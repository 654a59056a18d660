"""`manage.py jury_rebuild_aggregates [JURY_ID …]`: rewrite the stored figures of the given
juries (all by default) from their scores. The services keep them up to date; this is for
safety, after data written around them (an import, a fix in the shell)."""

from django.core.management.base import BaseCommand, CommandError

from eig.jury.models import Jury
from eig.jury.registry import domain_for
from eig.jury.services import jury_aggregates_rebuild


class Command(BaseCommand):
    help = (
        "Recalcule, à partir des notes, les résultats enregistrés de chaque dossier des jurys "
        "donnés (de tous les jurys sans argument)."
    )

    def add_arguments(self, parser):
        parser.add_argument("juries", nargs="*", type=int, metavar="JURY_ID")

    def handle(self, *args, juries, **options):
        queryset = Jury.objects.order_by("pk")
        if juries:
            queryset = queryset.filter(pk__in=juries)
            missing = set(juries) - set(queryset.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"Jury introuvable : {', '.join(map(str, sorted(missing)))}.")
        for jury in queryset:
            try:
                domain = domain_for(jury)
            except LookupError:
                self.stderr.write(f"{jury} : domaine « {jury.domain} » inconnu, ignoré.")
                continue
            jury_aggregates_rebuild(domain=domain, jury=jury)
            self.stdout.write(f"{jury} : résultats recalculés.")
