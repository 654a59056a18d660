"""Who may do what with conventions and the budget of a promotion.

A convention is read by programme staff, by the verified members of its signatory
administration, and by those of an administration hosting one of its défis (an operator
whose ministry signs). Its named signatories sign it for their administration; staff prepare,
change, send and countersign it, and may upload the administration's signed PDF they received
by mail. The budget pages are staff's.
"""

import rules

from eig.accounts.rules import is_agent, is_programme_staff, is_verified_member
from eig.programme.selectors import user_is_signatory


@rules.predicate
def is_member_of_signatory(user, convention) -> bool:
    return bool(
        convention is not None
        and is_verified_member(user)
        and user.administration_id == convention.administration_id
    )


@rules.predicate
def is_member_of_a_host(user, convention) -> bool:
    # One query: only the convention's own page asks it, never a list.
    return bool(
        convention is not None
        and is_verified_member(user)
        and convention.lines.filter(defi__administration_id=user.administration_id).exists()
    )


@rules.predicate
def is_signatory_of_convention(user, convention) -> bool:
    """A verified member whom the signatory administration named signatory (one query)."""
    return bool(
        convention is not None
        and is_verified_member(user)
        and user_is_signatory(user, convention.administration_id)
    )


rules.add_perm(
    "funding.read_convention", is_programme_staff | is_member_of_signatory | is_member_of_a_host
)
rules.add_perm("funding.sign_convention", is_programme_staff | is_signatory_of_convention)
rules.add_perm("funding.manage_convention", is_programme_staff)
# An agent's list of their administration's conventions (empty while their membership
# waits); staff follow every convention from the budget pages.
rules.add_perm("funding.list_own_conventions", is_agent)
rules.add_perm("funding.read_budget", is_programme_staff)
rules.add_perm("funding.prepare_conventions", is_programme_staff)
