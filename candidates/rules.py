"""Who may do what with calls for candidates and applications.

The calls and the positions they offer are public: anyone reads them, before signing up.
An application is its candidate's: they write, submit and withdraw it; anyone else must not
learn that it exists (404). Programme staff read every application its candidate handed in
(its staff page, its files), never a draft, and alone search the talent pool (vivier): its
dossiers, their CVs, its exports."""

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


@rules.predicate
def is_handed_in(user, application) -> bool:
    """Submitted at some point: a draft, or one withdrawn before it was ever submitted, was
    never given to the programme and stays its candidate's alone."""
    if application is None or application.state == "draft":
        return False
    return application.state != "withdrawn" or application.submitted_at is not None


rules.add_perm("candidates.read_call", rules.always_allow)
rules.add_perm("candidates.apply_to_call", is_candidate)
rules.add_perm("candidates.edit_application", is_application_candidate)
rules.add_perm("candidates.read_application", is_programme_staff & is_handed_in)
rules.add_perm("candidates.read_pool", is_programme_staff)
