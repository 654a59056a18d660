"""Who may do what with calls for candidates and applications.

The calls and the positions they offer are public: anyone reads them, before signing up.
An application is its candidate's: they write, submit and withdraw it; anyone else must not
learn that it exists (404). Programme staff will read them on the selection's pages, and
alone search the talent pool (vivier): its dossiers, their CVs, its exports."""

import rules

from eig.accounts.rules import is_candidate, is_programme_staff


@rules.predicate
def is_application_candidate(user, application) -> bool:
    return (
        application is not None
        and user.is_authenticated
        and user.is_active
        and application.candidate_id == user.pk
    )


rules.add_perm("candidates.read_call", rules.always_allow)
rules.add_perm("candidates.apply_to_call", is_candidate)
rules.add_perm("candidates.edit_application", is_application_candidate)
rules.add_perm("candidates.read_pool", is_programme_staff)
