"""Who may do what with calls for projects and défis.

A défi is written by its author and the co-editors they invited (`collaborators`, which
`get_defi_for_user` prefetches, so that asking costs no query); programme staff read every
défi and change none outside the admin; anyone else must not learn that it exists (404).
The jury's permissions on défis are the jury engine's (`eig/jury/rules.py`).
"""

import rules

from eig.accounts.rules import is_agent, is_programme_staff, is_verified_member


@rules.predicate
def is_defi_editor(user, defi) -> bool:
    """Author or invited co-editor."""
    if defi is None or not user.is_authenticated:
        return False
    return defi.owner_id == user.pk or any(c.pk == user.pk for c in defi.collaborators.all())


@rules.predicate
def is_member_of_defi_administration(user, defi) -> bool:
    """A verified member of the défi's administration (`User.administration` is set only
    while the membership is verified)."""
    return (
        defi is not None
        and user.is_authenticated
        and user.administration_id == (defi.administration_id)
    )


# Calls are public; an agent starts a défi on one once a verified member of an
# administration (the défi is that administration's). Whether the call is open is the
# service's rule, with its dates in the message.
rules.add_perm("projects.read_call", rules.always_allow)
rules.add_perm("projects.start_defi", is_agent & is_verified_member)

rules.add_perm("projects.read_defi", is_defi_editor | is_programme_staff)
rules.add_perm("projects.edit_defi", is_defi_editor)
rules.add_perm("projects.submit_defi", is_defi_editor)
rules.add_perm("projects.reopen_defi", is_defi_editor)
rules.add_perm("projects.withdraw_defi", is_defi_editor)
rules.add_perm("projects.restore_defi", is_defi_editor)
# An invitation makes its recipient a member of the défi's administration: only an editor
# who is a verified member of it gives one.
rules.add_perm("projects.invite_to_defi", is_defi_editor & is_member_of_defi_administration)
