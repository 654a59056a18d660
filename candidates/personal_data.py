"""The applications part of a person's personal-data export."""

from django.db.models import Prefetch

from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationReview
from candidates.selectors import application_for_candidate
from eig.accounts.models import User
from eig.history.selectors import history_attach


def application_personal_data(user: User) -> list[dict]:
    """Every application of the person, with all they wrote, their wishes and history. A
    decision the jury has not sent yet is not in it, as on the candidate's pages
    (`application_for_candidate`): the export would otherwise tell it before the mail."""
    applications = history_attach(
        Application.objects.filter(candidate=user)
        .select_related("call")
        .prefetch_related(
            "wishes__position__defi",
            Prefetch(
                "jury_reviews",
                queryset=ApplicationReview.objects.select_related("stage").order_by(
                    "stage__position"
                ),
            ),
        )
        .order_by("created_at")
    )
    fields = [
        field.name
        for field in Application._meta.concrete_fields
        if field.name not in ("id", "call", "candidate", "cv_checksum")
    ]
    exported = []
    for application in applications:
        state, _label, history = application_for_candidate(application, events=application.history)
        values = {}
        for name in fields:
            value = getattr(application, name)
            if hasattr(value, "name"):  # a file: its name, not its bytes
                value = value.name or None
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            values[name] = value
        if not application.decision_disclosed:
            # The state before the decision held back, and the date of the last decision
            # the candidate was sent, if any.
            decided = [event.at for event in history if event.action == Application.Action.DECIDED]
            values["state"] = state
            values["decided_at"] = decided[-1].isoformat() if decided else None
        exported.append(
            {
                "id": application.pk,
                "appel": str(application.call),
                **values,
                "voeux": [
                    {
                        "rang": wish.rank,
                        "defi": str(wish.position.defi),
                        "poste": str(wish.position),
                        "retire_le": wish.withdrawn_at.isoformat() if wish.withdrawn_at else None,
                    }
                    for wish in application.wishes.all()
                ],
                "decisions_du_jury": [
                    _decision(review) for review in application.jury_reviews.all() if _sent(review)
                ],
                "historique": [
                    {"le": event.at.isoformat(), "action": event.action, "vers": event.to_state}
                    for event in history
                ],
            }
        )
    return exported


def _sent(review: ApplicationReview) -> bool:
    # A decision as the candidate was mailed it: never one the jury has not sent yet.
    return bool(review.decision) and (
        review.decision_sent_at is not None and review.decision_sent_at >= review.decided_at
    )


def _decision(review: ApplicationReview) -> dict:
    """The jury's decision at one stage, as the candidate's letter gave it."""
    return {
        "etape": review.stage.name,
        "decision": CANDIDATE_JURY.decision_label(review.decision),
        "motif": CANDIDATE_JURY.reason_label(review.decision, review.reason)
        if review.reason
        else "",
        "motivation": review.motivation,
        "envoyee_le": review.decision_sent_at.isoformat(),
    }
