from django.db import transaction

from eig.accounts.models import User
from eig.programme.models import Administration


@transaction.atomic
def administration_create(*, user: User, **fields) -> Administration:
    """Create an administration and make `user` one of its agents."""
    administration = Administration(**fields)
    administration.full_clean()
    administration.save()
    user_join_administration(user=user, administration=administration)
    return administration


def user_join_administration(*, user: User, administration: Administration) -> User:
    """Record which administration an agent works for. Joining grants no access to the
    administration's défis: only their authors invite co-editors."""
    user.administration = administration
    user.save(update_fields=["administration"])
    return user
