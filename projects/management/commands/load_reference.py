"""`manage.py load_reference [--path DIR]`: load the programme's public data (promotions 1 to
7 and DIG, their administrations, calls and 131 selected défis). Idempotent."""

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.reference import REQUIRED_FILES, reference_load, reference_read


def default_reference_dir() -> Path:
    """`shared/reference/eig` beside the project checkout, unless EIG_REFERENCE_DIR says
    otherwise."""
    from_env = os.environ.get("EIG_REFERENCE_DIR")
    if from_env:
        return Path(from_env)
    return Path(settings.BASE_DIR).parent / "shared" / "reference" / "eig"


class Command(BaseCommand):
    help = (
        "Charge les données publiques du programme (promotions, administrations, appels, "
        "défis retenus). Peut être relancée sans créer de doublons."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            type=Path,
            help="Dossier des fichiers de référence (par défaut : EIG_REFERENCE_DIR, ou "
            "shared/reference/eig à côté du projet).",
        )
        parser.add_argument(
            "--if-present",
            action="store_true",
            help="Sans dossier de référence, prévenir et s'arrêter sans erreur (make run).",
        )

    def handle(self, *args, path=None, if_present=False, **options):
        folder = path or default_reference_dir()
        if not folder.is_dir() and if_present:
            # A checkout without the programme's shared folder still runs, with the demo only.
            self.stderr.write(
                self.style.WARNING(
                    f"Données de référence absentes ({folder}) : le catalogue des promotions "
                    "passées reste vide. Indiquez le dossier avec EIG_REFERENCE_DIR."
                )
            )
            return
        if not folder.is_dir():
            raise CommandError(
                f"Dossier des données de référence introuvable : {folder}. Indiquez-le avec "
                "--path ou la variable d'environnement EIG_REFERENCE_DIR."
            )
        missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
        if missing:
            raise CommandError(f"Fichiers manquants dans {folder} : {', '.join(missing)}.")
        started = time.monotonic()
        try:
            data = reference_read(folder)
        except ValueError as error:
            raise CommandError(f"Fichier de référence illisible dans {folder} : {error}") from error
        try:
            tallies = reference_load(data)
        except (KeyError, TypeError) as error:
            # A record lacks a field the import needs: nothing was written (one transaction).
            raise CommandError(
                f"Données de référence incohérentes dans {folder} (champ {error}) : "
                "rien n'a été chargé."
            ) from error
        summary = " ; ".join(f"{kind} : {tally}" for kind, tally in tallies.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Données de référence chargées en {time.monotonic() - started:.1f} s — {summary}."
            )
        )
