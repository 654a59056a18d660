from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """Sends an agent who has not said which administration they belong to there first,
    whether they arrive by logging in or by confirming their address at sign-up."""

    # allauth's French catalogue leaves this one untranslated.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": "Trop de tentatives de connexion échouées : réessayez "
        "dans quelques minutes.",
    }

    def _administration_first(self, request):
        user = request.user
        if user.is_authenticated and user.is_agent and user.administration_id is None:
            return reverse("programme:administration_choose")
        return None

    def send_mail(self, template_prefix, email, context):
        # Account mails (address confirmation, password reset) go to the outbox like every
        # other mail: written in the request's transaction, sent by a Celery task after
        # commit, so that a broker down never fails the sign-up or the reset.
        from eig.notifications.services import outbox_write

        message = self.render_mail(template_prefix, email, context)
        outbox_write(
            to=list(message.to),
            subject=message.subject,
            body=message.body,
            template=template_prefix,
        )

    def get_login_redirect_url(self, request):
        return self._administration_first(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return self._administration_first(request) or super().get_signup_redirect_url(request)


class MFAAdapter(DefaultMFAAdapter):
    """Staff must keep their authenticator app: they may not deactivate it."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": "L'équipe du programme doit garder la double "
        "authentification : elle ne peut pas être désactivée.",
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.requires_two_factor:
            return False
        return super().can_delete_authenticator(authenticator)
