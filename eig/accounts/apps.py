from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "eig.accounts"
    label = "accounts"
    verbose_name = "Comptes et rôles"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_ensure_staff_group, sender=self)


def _ensure_staff_group(**kwargs):
    # Permissions are created after each migration; the staff group follows them.
    from eig.accounts.services import staff_group_ensure

    staff_group_ensure()
