"""Who may do what with administrations and memberships.

An agent chooses the administration they work for. An administration's members page is read
by its verified members and staff, who also examine the requests to join it; its
signatories and staff name signatories; a person ends their own membership (or withdraws
their request), staff end anyone's. `User.administration` is set only while a membership is
verified, so "verified member" reads an attribute; "signatory" asks the membership (one
query, asked once a page).
"""

import rules

from eig.accounts.rules import is_agent, is_programme_staff
from eig.programme.selectors import user_is_signatory, user_is_verified_member


@rules.predicate
def is_member_of(user, administration) -> bool:
    return administration is not None and user_is_verified_member(user, administration.pk)


@rules.predicate
def is_signatory_of(user, administration) -> bool:
    return administration is not None and user_is_signatory(user, administration.pk)


@rules.predicate
def is_member_of_membership_administration(user, membership) -> bool:
    return membership is not None and user_is_verified_member(user, membership.administration_id)


@rules.predicate
def is_own_membership(user, membership) -> bool:
    return membership is not None and user.is_authenticated and membership.user_id == user.pk


rules.add_perm("programme.choose_administration", is_agent)
rules.add_perm("programme.manage_members", is_programme_staff | is_member_of)
rules.add_perm("programme.name_signatory", is_programme_staff | is_signatory_of)
# Deciding on a request: staff and the administration's verified members. That nobody
# decides their own request is the service's rule, with its own message.
rules.add_perm(
    "programme.examine_membership",
    is_programme_staff | is_member_of_membership_administration,
)
rules.add_perm("programme.end_membership", is_programme_staff | is_own_membership)
rules.add_perm("programme.remove_membership", is_programme_staff)
rules.add_perm("programme.grant_membership", is_programme_staff)
