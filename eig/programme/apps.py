from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "eig.programme"
    label = "programme"
    verbose_name = "Programme : administrations et promotions"

    def ready(self):
        from allauth.account.signals import email_confirmed

        from eig.accounts.personal_data import register_erasure, register_personal_data
        from eig.accounts.todos import register_todos
        from eig.history import labels
        from eig.programme import selectors, services, todos
        from eig.programme.models import AdministrationMembership

        register_personal_data("rattachements_administrations", selectors.user_memberships_data)
        register_erasure("programme.memberships", services.memberships_end_for_erasure)
        register_todos("programme.agent", todos.agent_todos)
        register_todos("programme.staff", todos.staff_todos)
        labels.register(
            AdministrationMembership,
            actions=AdministrationMembership.Action,
            states=AdministrationMembership.State,
        )
        # allauth's one hook on a confirmed address: a pending request may now be verified
        # by its domain.
        email_confirmed.connect(
            _on_email_confirmed, dispatch_uid="programme_membership_verify_by_domain"
        )


def _on_email_confirmed(sender, request, email_address, **kwargs):
    from eig.programme.services import membership_verify_by_domain

    membership_verify_by_domain(user=email_address.user)
