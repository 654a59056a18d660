import rules
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent d'une administration")
    CANDIDATE = "candidate", _("Candidat·e")
    JUROR = "juror", _("Juré·e")
    COACH = "coach", _("Mentor ou coach")
    STAFF = "staff", _("Équipe du programme")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("roles", [Role.STAFF])
        return self._create_user(email, password, **extra_fields)


def display_name(first_name: str, last_name: str, email: str) -> str:
    """How a person is named on every page: first and last names, else the address. Lists
    that read these columns as values name people by it, as `str(user)` does."""
    return f"{first_name} {last_name}".strip() or email


class User(AbstractUser):
    """A person; logs in with their e-mail. One person may hold several roles (an agent of an
    administration who is also a juror, say)."""

    username = None
    email = models.EmailField(_("adresse e-mail"), unique=True)
    roles = ArrayField(
        models.CharField(max_length=16, choices=Role.choices),
        verbose_name=_("rôles"),
        default=list,
        blank=True,
    )
    administration = models.ForeignKey(
        "programme.Administration",
        verbose_name=_("administration"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return display_name(self.first_name, self.last_name, self.email)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_agent(self) -> bool:
        return Role.AGENT in self.roles

    @property
    def is_programme_staff(self) -> bool:
        return Role.STAFF in self.roles or self.is_superuser

    def has_perm(self, perm, obj=None):
        # The programme's own permissions (each app's `rules.py`) answer for everyone,
        # superusers included: a superuser is programme staff, not the author of every défi
        # nor a signatory of every administration. Django's model permissions (the admin's)
        # keep their usual answer, superusers' shortcut included.
        if rules.perm_exists(perm):
            return rules.has_perm(perm, self, obj)
        return super().has_perm(perm, obj)

    @property
    def requires_two_factor(self) -> bool:
        # Whoever reaches the admin or the staff pages must log in with a second factor.
        return self.is_staff or self.is_programme_staff
