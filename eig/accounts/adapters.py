from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    """Sends an agent who has not said which administration they belong to there first,
    whether they arrive by logging in or by confirming their address at sign-up."""

    def _administration_first(self, request):
        user = request.user
        if user.is_authenticated and user.is_agent and user.administration_id is None:
            return reverse("programme:administration_choose")
        return None

    def get_login_redirect_url(self, request):
        return self._administration_first(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        return self._administration_first(request) or super().get_signup_redirect_url(request)
