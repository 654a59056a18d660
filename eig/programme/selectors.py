"""Reads of the programme: who belongs to an administration (and the access checks that
follow from it), and the rules, shaped for the pure computations of `costs.py`."""

from allauth.account.models import EmailAddress
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.http import Http404

from eig.accounts.models import Role, User
from eig.history.models import Event
from eig.history.selectors import history_attach, history_for_ids
from eig.permissions import require_perm
from eig.programme.costs import Band, Rules
from eig.programme.models import (
    Administration,
    AdministrationMembership,
    FundingRule,
    Promotion,
)

Membership = AdministrationMembership

# --- Memberships and what they grant ----------------------------------------------------------
# `User.administration` is set by the services only while a membership is verified, so an
# equality with it means "verified member"; the signatory flag is read from the membership.


def user_is_verified_member(user: User, administration_id: int | None) -> bool:
    return bool(
        user.is_authenticated
        and administration_id is not None
        and user.administration_id == administration_id
    )


def user_is_signatory(user: User, administration_id: int | None) -> bool:
    """A verified member whom the administration (or staff) named signatory: signs its
    conventions."""
    return user_is_verified_member(user, administration_id) and (
        Membership.objects.filter(
            user=user,
            administration_id=administration_id,
            state=Membership.State.VERIFIED,
            is_signatory=True,
        ).exists()
    )


def get_administration_for_member(user: User, pk: int) -> Administration:
    """The access check of an administration's members page (`programme.manage_members`):
    its verified members and staff; anyone else (a pending requester included) gets a 404."""
    administration = Administration.objects.filter(pk=pk).first()
    if administration is None:
        raise Http404
    require_perm(user, "programme.manage_members", administration)
    return administration


def get_membership_for_manager(user: User, pk: int) -> AdministrationMembership:
    """A membership, for those who may examine it (`programme.examine_membership`: staff,
    verified members of its administration); a 404 for anyone else."""
    membership = Membership.objects.select_related("administration", "user").filter(pk=pk).first()
    if membership is None:
        raise Http404
    require_perm(user, "programme.examine_membership", membership)
    return membership


def membership_open_for(user: User) -> AdministrationMembership | None:
    """The person's pending request or verified membership (at most one), if any."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, state__in=Membership.OPEN_STATES)
        .select_related("administration", "decided_by")
        .first()
    )


def user_memberships(user: User) -> QuerySet[AdministrationMembership]:
    """Every membership of the person, newest first (their own history)."""
    return (
        Membership.objects.filter(user=user)
        .select_related("administration", "decided_by")
        .order_by("-requested_at", "-pk")
    )


def administration_requests(administration: Administration) -> QuerySet[AdministrationMembership]:
    """Requests waiting for a decision, oldest first."""
    return (
        Membership.objects.filter(administration=administration, state=Membership.State.REQUESTED)
        .select_related("user")
        .order_by("requested_at", "pk")
    )


def administration_members(administration: Administration) -> QuerySet[AdministrationMembership]:
    """Verified members, signatories first."""
    return (
        Membership.objects.filter(administration=administration, state=Membership.State.VERIFIED)
        .select_related("user", "decided_by")
        .order_by("-is_signatory", "user__last_name", "user__first_name", "pk")
    )


def administration_history(administration: Administration, *, limit: int = 50) -> list[Event]:
    """The latest changes of the administration's memberships, newest first, each with the
    `person` it concerns (None once their account is erased). One query."""
    memberships = Membership.objects.filter(administration=administration)
    # The name as `User.__str__` gives it: full name, else the address.
    person = (
        Membership.objects.filter(pk=OuterRef("subject_id"))
        .annotate(
            name=Coalesce(
                NullIf(Trim(Concat("user__first_name", Value(" "), "user__last_name")), Value("")),
                "user__email",
                output_field=CharField(),
            )
        )
        .values("name")[:1]
    )
    return list(
        history_for_ids(Membership, memberships.values("pk"))
        .annotate(person=Subquery(person))
        .order_by("-at", "-pk")[:limit]
    )


def administration_member_users(
    administration_id: int, *, signatories_only: bool = False
) -> list[User]:
    """Active accounts of the verified members (or signatories), to mail them."""
    memberships = Membership.objects.filter(
        administration_id=administration_id, state=Membership.State.VERIFIED
    )
    if signatories_only:
        memberships = memberships.filter(is_signatory=True)
    return list(
        User.objects.filter(
            pk__in=memberships.values("user_id"),
            administration_id=administration_id,
            is_active=True,
        ).order_by("pk")
    )


def staff_users() -> list[User]:
    return list(User.objects.filter(roles__contains=[Role.STAFF], is_active=True).order_by("pk"))


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower()


def user_verified_domain_match(user: User, administration: Administration) -> str | None:
    """The person's verified address on one of the administration's domains, if any: it
    lets them join without approval. An address not verified yet proves nothing."""
    domains = {d.lower() for d in administration.email_domains}
    if not domains:
        return None
    for address in EmailAddress.objects.filter(user=user, verified=True).order_by("pk"):
        if email_domain(address.email) in domains:
            return address.email
    return None


def rules_for_promotion(promotion: Promotion) -> Rules | None:
    """The promotion's rules as plain values, or None while staff have not configured its
    salary grid, contract frame and co-financing rule. Three queries."""
    rule = FundingRule.objects.filter(promotion=promotion).first()
    frame = getattr(promotion, "contract_frame", None) if rule else None
    if rule is None or frame is None:
        return None
    bands = tuple(
        Band(
            pk=band.pk,
            label=band.label,
            min_years=band.min_years,
            net_monthly=band.net_monthly,
            variable_rate=band.variable_rate,
        )
        for band in promotion.salary_bands.order_by("min_years")
    )
    if not bands:
        return None
    return Rules(
        promotion=promotion.name,
        bands=bands,
        employee_rate=rule.employee_rate,
        employer_rate=rule.employer_rate,
        contract_months=frame.duration_months,
        kind=rule.kind,
        kind_label=rule.get_kind_display(),
        share=rule.share,
        months=rule.months,
        flat_amount=rule.flat_amount,
        allows_part_time=frame.allows_part_time,
    )


def cofinancing_recipient(administration: Administration) -> Administration | None:
    """Who receives DINUM's credits for a défi of `administration` (the porteur administratif).

    Only an administration with a budget programme receives them directly; an operator or a
    decentralised service goes through its ministry, if that one has a programme. None when
    neither has one: the défi is then self-funded, or partners with a ministry first."""
    if administration.receives_cofinancing_directly:
        return administration
    parent = administration.parent
    if parent is not None and parent.receives_cofinancing_directly:
        return parent
    return None


def user_memberships_data(user: User) -> list[dict]:
    """The person's memberships for their personal data export."""
    return [
        {
            "administration": membership.administration.name,
            "etat": str(membership.get_state_display()),
            "verifie_par": str(membership.get_verified_via_display())
            if membership.verified_via
            else None,
            "signataire": membership.is_signatory,
            "message": membership.note,
            "demande_le": membership.requested_at.isoformat(),
            "decide_le": membership.decided_at.isoformat() if membership.decided_at else None,
            "termine_le": membership.ended_at.isoformat() if membership.ended_at else None,
            "historique": [
                {
                    "action": str(event.get_action_display()),
                    "le": event.at.isoformat(),
                    "motif": event.note,
                }
                for event in membership.history
            ],
        }
        for membership in history_attach(user_memberships(user))
    ]
