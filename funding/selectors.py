"""Reads of conventions and of a promotion's budget, shaped once for their pages."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.text import capfirst

from eig.accounts.models import User
from eig.history.models import Event
from eig.history.selectors import history_for_ids
from eig.permissions import FORBIDDEN, require_perm
from eig.programme.models import Administration, FundingRule, Promotion
from eig.programme.selectors import (
    administration_member_users,
    cofinancing_recipient,
)
from funding.models import Convention, ConventionLine, ConventionVersion
from projects.models import Defi

State = ConventionVersion.State

STAFF_PAGE = "Cette page est réservée à l'équipe du programme."


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


def get_convention_for_user(user: User, pk: int) -> Convention:
    """The one access check for a convention (`funding.read_convention`): staff, the
    verified members of the signatory administration, and the verified members of an
    administration hosting one of its défis (an operator whose ministry signs) read it.
    Anyone else, a pending request included, gets a 404. (`User.administration` is set only
    while a membership is verified.)"""
    if not user.is_authenticated:
        raise Http404
    convention = (
        Convention.objects.select_related("promotion", "administration", "created_by")
        .filter(pk=pk)
        .first()
    )
    if convention is None:
        raise Http404
    require_perm(user, "funding.read_convention", convention)
    return convention


def conventions_for_agent(user: User) -> QuerySet[Convention]:
    """The conventions a verified member may read, newest promotion first."""
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


# --- Pages of the conventions and of the budget (funding/views.py) --------------------------
# Shaped for the staff budget pages and the convention page; each page's query count is the
# same for 1 and for 3 conventions, lines or versions.

# How the budget page splits what is committed: by the state of each convention's latest
# version. A superseded latest version cannot happen (a newer one replaced it); it would
# count with the texts in force.
BUDGET_GROUPS = {
    State.DRAFT: "draft",
    State.SENT: "signature",
    State.SIGNED_ADMIN: "signature",
    State.SIGNED_DINUM: "signature",
    State.IN_FORCE: "in_force",
    State.SUPERSEDED: "in_force",
}


@dataclass
class PromotionBudget:
    """A promotion's envelope and what its conventions commit, split by signature stage."""

    promotion: Promotion
    rule: FundingRule | None
    conventions: list[Convention] = field(default_factory=list)
    committed: dict[str, Decimal] = field(
        default_factory=lambda: dict.fromkeys(("in_force", "signature", "draft"), Decimal("0.00"))
    )
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(State.values, 0))

    @property
    def envelope(self) -> Decimal | None:
        return self.promotion.budget_envelope

    @property
    def committed_total(self) -> Decimal:
        return sum(self.committed.values(), Decimal("0.00"))

    @property
    def available(self) -> Decimal | None:
        return None if self.envelope is None else self.envelope - self.committed_total

    @property
    def eig_total(self) -> int:
        return sum(c.current_eig_count or 0 for c in self.conventions)

    @property
    def cost_total(self) -> Decimal:
        costs = (c.current_total_cost or Decimal("0") for c in self.conventions)
        return sum(costs, Decimal("0.00"))

    @property
    def state_counts(self) -> list[tuple[str, int]]:
        """(state label, number of conventions) for the states that have some."""
        return [(label, self.counts[value]) for value, label in State.choices if self.counts[value]]

    def add(self, convention: Convention) -> None:
        self.conventions.append(convention)
        if convention.current_state is None:
            return
        self.counts[convention.current_state] += 1
        group = BUDGET_GROUPS[convention.current_state]
        self.committed[group] += convention.current_cofinancing or Decimal("0")


def promotion_budgets() -> list[PromotionBudget]:
    """Every promotion with its rule and the sums of its conventions; two queries."""
    promotions = Promotion.objects.select_related("funding_rule").order_by("-year", "-number")
    budgets = {
        promotion.pk: PromotionBudget(
            promotion=promotion, rule=getattr(promotion, "funding_rule", None)
        )
        for promotion in promotions
    }
    for convention in conventions_with_current(
        Convention.objects.filter(promotion__in=list(budgets)).order_by("reference")
    ):
        budgets[convention.promotion_id].add(convention)
    return list(budgets.values())


def get_promotion_for_staff(user: User, pk: int) -> Promotion:
    """The access check of the budget pages (`funding.read_budget`): programme staff only;
    others get a 403 as on the selection pages (the page exists, it is not theirs)."""
    require_perm(user, "funding.read_budget", status=FORBIDDEN, message=STAFF_PAGE)
    promotion = (
        Promotion.objects.select_related("funding_rule", "contract_frame").filter(pk=pk).first()
    )
    if promotion is None:
        raise Http404
    return promotion


def promotion_budget(promotion: Promotion) -> PromotionBudget:
    """The budget of one promotion with its conventions, in reference order."""
    budget = PromotionBudget(promotion=promotion, rule=getattr(promotion, "funding_rule", None))
    for convention in conventions_with_current(
        Convention.objects.filter(promotion=promotion)
        .select_related("administration")
        .order_by("reference")
    ):
        budget.add(convention)
    return budget


@dataclass
class UncoveredDefi:
    """A selected défi that no convention finances yet, and why."""

    defi: Defi
    signatory: Administration | None
    reason: str


def promotion_uncovered_defis(
    promotion: Promotion, conventions: list[Convention]
) -> list[UncoveredDefi]:
    """The selected défis of the promotion outside every convention: their signatory has no
    convention yet, they have no budget programme to receive credits, they fund their EIGs
    alone, or they were selected after their signatory's convention was prepared."""
    rule = getattr(promotion, "funding_rule", None)
    if rule is None:
        return []
    plan = promotion_convention_plan(promotion, convention_kind=rule.convention_kind)
    by_administration = {c.administration_id: c for c in conventions}
    covered = set(
        ConventionLine.objects.filter(convention__promotion=promotion).values_list(
            "defi_id", flat=True
        )
    )
    rows = []
    for signatory, defis in plan.by_signatory.items():
        convention = by_administration.get(signatory.pk)
        for defi in defis:
            if defi.pk in covered:
                continue
            if convention is None:
                reason = "convention à préparer"
            else:
                reason = (
                    f"retenu après la préparation de la convention {convention.reference} : "
                    "il n'y figure pas"
                )
            rows.append(UncoveredDefi(defi=defi, signatory=signatory, reason=reason))
    for defi in plan.ineligible:
        rows.append(
            UncoveredDefi(
                defi=defi,
                signatory=None,
                reason="aucun programme budgétaire : ni l'administration ni son ministère",
            )
        )
    for defi in plan.self_funded:
        rows.append(
            UncoveredDefi(
                defi=defi,
                signatory=None,
                reason="autofinancé : l'administration ne demande pas de co-financement",
            )
        )
    return sorted(rows, key=lambda row: (row.defi.title.lower(), row.defi.pk))


def convention_signatory_users(convention: Convention) -> list[User]:
    """The named signatories of the convention's administration (verified members), who
    receive the text and the reminders; empty when the administration named nobody."""
    return administration_member_users(convention.administration_id, signatories_only=True)


def convention_missing_signatories(content: dict) -> list[str]:
    """What a version's text (its content) still lacks before it is sent: the names of both
    signatories, without which the PDF reads "signataire à désigner"."""
    missing = []
    if not (content.get("signatory") or "").strip():
        missing.append("le signataire pour l'administration")
    if not (content.get("dinum_signatory") or "").strip():
        missing.append("le signataire pour la DINUM")
    return missing


def convention_versions(convention: Convention) -> list[ConventionVersion]:
    """The versions of a convention, newest first."""
    return list(convention.versions.order_by("-number"))


def convention_history(convention: Convention) -> list[Event]:
    """Every event of the convention's versions, oldest first, each with a `subject_label`
    naming its version (for `history/events.html`). One query."""
    versions = ConventionVersion.objects.filter(convention=convention)
    of_version = versions.filter(pk=OuterRef("subject_id"))
    events = list(
        history_for_ids(ConventionVersion, versions.values("pk")).annotate(
            version_number=Subquery(of_version.values("number")[:1]),
            version_amendment=Subquery(of_version.values("amendment")[:1]),
        )
    )
    for event in events:
        title = ConventionVersion(number=event.version_number, amendment=event.version_amendment)
        event.subject_label = capfirst(title.title)
    return events


def convention_lines(convention: Convention) -> QuerySet[ConventionLine]:
    """The convention's lines in the order of its text, with what their forms show."""
    return convention.lines.select_related("defi", "salary_band").order_by(
        "defi__title", "defi_id", "rank"
    )
