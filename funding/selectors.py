"""Reads of conventions and of a promotion's budget, shaped once for their pages."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from eig.accounts.models import Role, User
from eig.programme.models import Administration, FundingRule, Promotion
from eig.programme.selectors import cofinancing_recipient
from funding.models import Convention, ConventionVersion
from projects.models import Defi

State = ConventionVersion.State


def convention_signatory_for(defi: Defi, *, convention_kind: str) -> Administration | None:
    """The administration that signs for `defi`: the partner itself under a partnership
    (DINUM pays, no credits move); otherwise whoever receives the credits."""
    if convention_kind == FundingRule.ConventionKind.PARTNERSHIP:
        return defi.administration
    return cofinancing_recipient(defi.administration)


def promotion_selected_defis(promotion: Promotion) -> QuerySet[Defi]:
    """The défis of the promotion that the jury selected, with what a convention needs."""
    return (
        Defi.objects.filter(call__promotion=promotion, state=Defi.State.SELECTED)
        .select_related("administration__parent")
        .prefetch_related("positions")
        .order_by("title", "pk")
    )


@dataclass
class ConventionPlan:
    """Who signs what for a promotion: défis grouped by signatory, and the défis left out
    with the reason."""

    by_signatory: dict[Administration, list[Defi]] = field(default_factory=dict)
    self_funded: list[Defi] = field(default_factory=list)
    ineligible: list[Defi] = field(default_factory=list)


def promotion_convention_plan(promotion: Promotion, *, convention_kind: str) -> ConventionPlan:
    plan = ConventionPlan()
    for defi in promotion_selected_defis(promotion):
        partnership = convention_kind == FundingRule.ConventionKind.PARTNERSHIP
        if not partnership and not defi.requests_cofinancing:
            plan.self_funded.append(defi)
            continue
        signatory = convention_signatory_for(defi, convention_kind=convention_kind)
        if signatory is None:
            plan.ineligible.append(defi)
            continue
        plan.by_signatory.setdefault(signatory, []).append(defi)
    return plan


def convention_current_version(convention: Convention) -> ConventionVersion | None:
    return convention.versions.order_by("-number").first()


def _latest_version(field_name: str):
    return Subquery(
        ConventionVersion.objects.filter(convention=OuterRef("pk"))
        .order_by("-number")
        .values(field_name)[:1]
    )


def conventions_with_current(queryset: QuerySet[Convention]) -> QuerySet[Convention]:
    """Conventions annotated with their latest version's state and amounts."""
    return queryset.annotate(
        current_number=_latest_version("number"),
        current_state=_latest_version("state"),
        current_amendment=_latest_version("amendment"),
        current_eig_count=_latest_version("eig_count"),
        current_total_cost=_latest_version("total_cost"),
        current_cofinancing=_latest_version("cofinancing"),
    )


def promotion_committed(promotion: Promotion, *, exclude: Convention | None = None) -> Decimal:
    """What the promotion's conventions commit: each convention counts for its latest
    version, whatever its signature stage; an avenant replaces what it amends."""
    conventions = conventions_with_current(Convention.objects.filter(promotion=promotion))
    if exclude is not None:
        conventions = conventions.exclude(pk=exclude.pk)
    return sum((c.current_cofinancing or Decimal("0") for c in conventions), Decimal("0.00"))


def user_can_sign_for(user: User, convention: Convention) -> bool:
    """An agent of the signatory administration signs for it (uploads the signed PDF)."""
    return (
        user.is_authenticated
        and user.has_role(Role.AGENT)
        and user.administration_id == convention.administration_id
    )


def get_convention_for_user(user: User, pk: int) -> Convention:
    """The one access check for a convention: staff, the agents of the signatory
    administration, and the agents of an administration hosting one of its défis (an
    operator whose ministry signs) read it. Anyone else gets a 404."""
    if not user.is_authenticated:
        raise Http404
    convention = (
        Convention.objects.select_related("promotion", "administration", "created_by")
        .filter(pk=pk)
        .first()
    )
    if convention is None:
        raise Http404
    if user.is_programme_staff:
        return convention
    if (
        user.has_role(Role.AGENT)
        and user.administration_id
        and (
            user.administration_id == convention.administration_id
            or convention.lines.filter(defi__administration_id=user.administration_id).exists()
        )
    ):
        return convention
    raise Http404


def conventions_for_agent(user: User) -> QuerySet[Convention]:
    """The conventions an agent may read, newest promotion first."""
    if not user.administration_id:
        return Convention.objects.none()
    return conventions_with_current(
        Convention.objects.filter(
            Q(administration_id=user.administration_id)
            | Q(lines__defi__administration_id=user.administration_id)
        )
        .distinct()
        .select_related("promotion", "administration")
        .order_by("-promotion__year", "reference")
    )


AWAITING = [State.SENT, State.SIGNED_ADMIN, State.SIGNED_DINUM]
