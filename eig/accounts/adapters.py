from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # An agent who has not said which administration they belong to starts there.
        user = request.user
        if user.is_agent and user.administration_id is None:
            return reverse("programme:administration_choose")
        return super().get_login_redirect_url(request)
