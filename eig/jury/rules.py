"""Who may do what with the jury's objects, declared once for every domain.

The screens fetch the object, then ask `user.has_perm(…, obj)` and answer 404 (or 403 where
the page says why) when refused; templates ask the same rules (`{% has_perm %}`), and every
service that acts for a person asks them again through `ensure_perm`, so that the admin,
commands and tasks meet the same rule as the pages: the juror's services
(`evaluation_save`, `evaluation_update_for_new_version`: `jury.evaluate_evaluation`;
`conflict_declare`: `jury.declare_conflict`, asked of the member's own account;
`review_record_hearing`: `jury.record_hearing`), and the staff's (`ensure_jury_staff`:
`jury.manage_jury`), which a task or command may call with `actor=None` — the system
acting, no person to check. No rule here queries per row of a list: the lists are filtered
by their selectors, the rules guard one object at a time.

The people who carry a dossier book its hearing or interview slot themselves where its
jury lets them (`bookings.py`); who they are is the dossier's domain's answer
(`JuryDomain.dossier_owners`: whoever wrote the dossier, or the candidate who applied).
"""

import rules

from eig.accounts.rules import is_programme_staff, is_signed_in
from eig.jury.registry import domain_for_dossier
from eig.permissions import ensure_perm


@rules.predicate
def is_evaluation_juror(user, evaluation) -> bool:
    """The evaluation is given to this person, who still sits on its jury and has no
    conflict of interest (declared or automatic) with its dossier."""
    from eig.jury.registry import domain_for
    from eig.jury.selectors import member_conflict_reason

    member = evaluation.member
    if member.user_id != user.pk or member.withdrawn_at is not None:
        return False
    domain = domain_for(member.jury)
    return not member_conflict_reason(domain, member, domain.dossier_of(evaluation))


@rules.predicate
def is_active_member(user, member) -> bool:
    """The membership is this person's and they have not withdrawn from the jury."""
    return member.user_id == user.pk and member.withdrawn_at is None


@rules.predicate
def may_record_hearing(user, review) -> bool:
    """Staff, or an active member of the dossier's hearing group without conflict."""
    from eig.jury.hearings import review_may_record_hearing
    from eig.jury.registry import domain_for

    return review_may_record_hearing(domain_for(review.jury), review, user) is None


rules.add_perm("jury.manage_jury", is_programme_staff)
rules.add_perm("jury.evaluate_evaluation", is_signed_in & is_evaluation_juror)
rules.add_perm("jury.read_evaluation", is_programme_staff | (is_signed_in & is_evaluation_juror))
rules.add_perm("jury.declare_conflict", is_signed_in & is_active_member)
rules.add_perm("jury.record_hearing", is_signed_in & may_record_hearing)


def ensure_jury_staff(actor, doing: str) -> None:
    """A staff service's check: refuses an `actor` who may not manage juries, saying in
    French that only the programme's team may `doing` (« affecter les jurés »). No actor
    is the system acting (a task, a command): there is no person to check."""
    if actor is None:
        return
    ensure_perm(
        actor,
        "jury.manage_jury",
        message=f"Seule l'équipe du programme peut {doing}.",
        code="not_staff",
    )


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
