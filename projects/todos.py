"""What waits for each person in the défis and their selection, for "À faire" on the
personal space (registered in ProjectsConfig.ready). Each part is one or two queries,
whatever the number of défis or evaluations."""

import datetime

from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from eig.accounts.models import Role, User
from eig.accounts.todos import Todo, Urgency, counted, deadline_text, urgency_for
from eig.jury.models import AbstractEvaluation, Jury
from eig.jury.screens import jury_list_for_juror
from projects.models import Defi, DefiEvaluation

State = Defi.State


def agent_todos(user: User, now: datetime.datetime) -> list[Todo]:
    if not user.has_role(Role.AGENT):
        return []
    mine = Defi.objects.filter(Q(owner=user) | Q(collaborators=user))
    figures = mine.aggregate(
        drafts=Count(
            "pk",
            distinct=True,
            filter=Q(state=State.DRAFT, call__opens_at__lte=now, call__closes_at__gt=now),
        ),
        drafts_due=Min(
            "call__closes_at",
            filter=Q(state=State.DRAFT, call__opens_at__lte=now, call__closes_at__gt=now),
        ),
        shortlisted=Count("pk", distinct=True, filter=Q(state=State.SHORTLISTED)),
        hearing_at=Min(
            "review__slot__starts_at",
            filter=Q(state=State.SHORTLISTED, review__slot__starts_at__gt=now),
        ),
    )
    url = reverse("projects:my_defis")
    todos = []
    if drafts := figures["drafts"]:
        due = figures["drafts_due"]
        todos.append(
            Todo(
                role=Role.AGENT,
                count=drafts,
                label=counted(
                    drafts, "brouillon de défi à déposer", "brouillons de défi à déposer"
                ),
                url=url,
                urgency=urgency_for(due, now),
                deadline=due,
                detail=f"Avant la clôture de l'appel, le {deadline_text(due)} (heure de Paris).",
            )
        )
    if shortlisted := figures["shortlisted"]:
        hearing = figures["hearing_at"]
        todos.append(
            Todo(
                role=Role.AGENT,
                count=shortlisted,
                label=counted(
                    shortlisted,
                    "défi présélectionné : préparez son audition",
                    "défis présélectionnés : préparez leur audition",
                ),
                url=url,
                urgency=urgency_for(hearing, now) if hearing else Urgency.NORMAL,
                deadline=hearing,
                detail=f"Première audition le {deadline_text(hearing)}." if hearing else "",
            )
        )
    return todos


def juror_todos(user: User, now: datetime.datetime) -> list[Todo]:
    if not user.has_role(Role.JUROR):
        return []
    url = reverse("jury:dashboard")
    todos = []
    # The juror's own page's selector: the count here is the list they will find there.
    for group in jury_list_for_juror(user, now):
        # What is left to submit where scoring is still open: each evaluation meets the
        # deadline of its stage, and the nearest one is the one to show.
        left = [
            evaluation
            for evaluation in group["evaluations"]
            if evaluation.state != AbstractEvaluation.State.SUBMITTED and evaluation.scoring_open
        ]
        if not left:
            continue
        deadlines = [evaluation.stage.deadline for evaluation in left if evaluation.stage.deadline]
        deadline = min(deadlines) if deadlines else None
        todos.append(
            Todo(
                role=Role.JUROR,
                count=len(left),
                label=counted(len(left), "dossier à évaluer", "dossiers à évaluer")
                + f" ({group['jury']})",
                url=url,
                urgency=urgency_for(deadline, now),
                deadline=deadline,
                detail=f"À soumettre avant le {deadline_text(deadline)} (heure de Paris)."
                if deadline
                else "",
            )
        )
    return todos


def staff_todos(user: User, now: datetime.datetime) -> list[Todo]:
    if not user.is_programme_staff:
        return []
    return _assignment_todos(now) + _deliberation_todos(now)


def _assignment_todos(now: datetime.datetime) -> list[Todo]:
    """Submitted défis of closed calls that have fewer jurors than their jury asks for."""
    jurors = Subquery(
        DefiEvaluation.objects.filter(defi=OuterRef("pk"), member__withdrawn_at__isnull=True)
        .order_by()
        .values("defi")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Defi.objects.filter(
            state=State.SUBMITTED, call__jury__isnull=False, call__closes_at__lte=now
        )
        .annotate(jurors=Coalesce(jurors, 0))
        .filter(jurors__lt=F("call__jury__jurors_per_dossier"))
        .values("call__jury_id", "call__jury__name", "call__jury__scoring_deadline")
        .annotate(none=Count("pk", filter=Q(jurors=0)), some=Count("pk", filter=Q(jurors__gt=0)))
        .order_by("call__jury__scoring_deadline", "call__jury_id")
    )
    todos = []
    for row in rows:
        url = reverse("jury:selection_assignment", args=[row["call__jury_id"]])
        deadline = row["call__jury__scoring_deadline"]
        for count, singular, plural in (
            (row["none"], "dossier sans juré", "dossiers sans juré"),
            (
                row["some"],
                "dossier auquel il manque un juré",
                "dossiers auxquels il manque un juré",
            ),
        ):
            if count:
                todos.append(
                    Todo(
                        role=Role.STAFF,
                        count=count,
                        label=f"{counted(count, singular, plural)} ({row['call__jury__name']})",
                        url=url,
                        urgency=urgency_for(deadline, now),
                        deadline=deadline,
                        detail="Lancez l'affectation ou confiez-les à la main.",
                    )
                )
    return todos


def _deliberation_todos(now: datetime.datetime) -> list[Todo]:
    """Juries of closed calls whose scoring is over and that still have défis without a
    decision."""

    def count(queryset):
        return Coalesce(
            Subquery(queryset.order_by().values("jury_key").annotate(n=Count("pk")).values("n")),
            0,
        )

    undecided = Defi.objects.filter(
        call__jury=OuterRef("pk"), state__in=[State.SUBMITTED, State.SHORTLISTED]
    ).annotate(jury_key=F("call__jury_id"))
    evaluations = DefiEvaluation.objects.filter(
        member__jury=OuterRef("pk"), member__withdrawn_at__isnull=True
    ).annotate(jury_key=F("member__jury_id"))
    juries = (
        Jury.objects.filter(project_call__isnull=False, project_call__closes_at__lte=now)
        .annotate(
            undecided=count(undecided),
            due=count(evaluations),
            submitted=count(evaluations.filter(state=DefiEvaluation.State.SUBMITTED)),
        )
        .filter(undecided__gt=0)
        # Scoring is over at the deadline, or once every dossier has all its jurors and
        # every evaluation is submitted.
        .filter(
            Q(scoring_deadline__lte=now)
            | Q(
                due__gt=0,
                submitted=F("due"),
                due__gte=F("undecided") * F("jurors_per_dossier"),
            )
        )
        .order_by("scoring_deadline", "pk")
    )
    return [
        Todo(
            role=Role.STAFF,
            count=jury.undecided,
            label=counted(
                jury.undecided, "défi en attente de décision", "défis en attente de décision"
            )
            + f" ({jury})",
            url=reverse("jury:selection_deliberation", args=[jury.pk]),
            detail="Les évaluations sont closes : présélectionnez, auditionnez, décidez.",
        )
        for jury in juries
    ]
