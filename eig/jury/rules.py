"""Who may do what with the jury engine's objects.

The people who carry a dossier book its hearing or interview slot themselves where its
jury lets them (`bookings.py`); who they are is the dossier's domain's answer
(`JuryDomain.dossier_owners`: a défi's editors, an application's candidate).
"""

import rules

from eig.jury.registry import domain_for_dossier


@rules.predicate
def is_dossier_owner(user, dossier) -> bool:
    if dossier is None or not user.is_authenticated:
        return False
    domain = domain_for_dossier(dossier)
    if domain is None:
        return False
    return any(owner.pk == user.pk for owner in domain.dossier_owners(dossier))


# Whether the dossier is shortlisted, the slot open to owners, free and before its deadline
# is the service's rule, with the reason in its message.
rules.add_perm("jury.book_slot", is_dossier_owner)
