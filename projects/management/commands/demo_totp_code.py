"""`manage.py demo_totp_code`: the code that an authenticator app would show now for the demo
staff account, for a newcomer without such an app. The secret is public (README)."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from projects.management.commands.load_demo import DEMO_TOTP_SECRET

PERIOD = 30


class Command(BaseCommand):
    help = "Affiche le code de double authentification du moment pour staff@demo.eig.fr."

    def handle(self, *args, **options):
        now = time.time()
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, int(now) // PERIOD))
        left = PERIOD - int(now) % PERIOD
        self.stdout.write(f"{code}  (valable encore {left} s)")
