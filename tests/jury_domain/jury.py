"""The jury engine's view of entries: anonymous, with conflicts and expertise of their own."""

from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse

from eig.jury.domain import ConflictMap, DossierNouns, JuryDomain
from eig.jury.models import Jury, JuryMember
from tests.jury_domain.models import (
    Entry,
    EntryCall,
    EntryConflict,
    EntryEvaluation,
    EntryReview,
    EntryScore,
)
from tests.jury_domain.services import entry_jury_move

JURY_STATES = [
    Entry.State.SUBMITTED,
    Entry.State.SHORTLISTED,
    Entry.State.SELECTED,
    Entry.State.WAITING_LIST,
    Entry.State.NOT_SELECTED,
]


def entry_list_for_jury(jury: Jury) -> QuerySet[Entry]:
    return Entry.objects.filter(call__jury=jury, state__in=JURY_STATES).order_by("pk")


def email_domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def entry_automatic_conflicts(
    members: Iterable[JuryMember], entries: Iterable[Entry]
) -> ConflictMap:
    """A juror may not evaluate an application sent from their own e-mail domain (the same
    employer, school or firm)."""
    domains = [(member.pk, email_domain(member.user.email)) for member in members if member.user_id]
    conflicts = {}
    for entry in entries:
        for member_pk, domain in domains:
            if domain == email_domain(entry.email):
                conflicts[(entry.pk, member_pk)] = f"Même domaine de messagerie ({domain})"
    return conflicts


def entry_expertise_pairs(members: Iterable[JuryMember], entries: Iterable[Entry]) -> set:
    """Pairs where the juror's expertise is the applicant's specialty."""
    experts = [(member.pk, set(member.expertise)) for member in members if member.expertise]
    return {
        (entry.pk, member_pk)
        for entry in entries
        for member_pk, expertise in experts
        if entry.specialty in expertise
    }


ENTRY_JURY = JuryDomain(
    call_noun="appel à candidatures",
    automatic_conflicts_label=(
        "Les candidatures venues du domaine de votre adresse électronique sont repérées "
        "automatiquement."
    ),
    key="entries",
    nouns=DossierNouns("candidature", "candidatures", feminine=True),
    dossier_field="entry",
    evaluation_model=EntryEvaluation,
    score_model=EntryScore,
    conflict_model=EntryConflict,
    review_model=EntryReview,
    dossiers=entry_list_for_jury,
    automatic_conflicts=entry_automatic_conflicts,
    expertise_pairs=entry_expertise_pairs,
    dashboard_url=lambda: reverse("jury:dashboard"),
    import_path="tests.jury_domain.jury.ENTRY_JURY",
    dossier_transition=entry_jury_move,
    dossier_recipients=lambda entry: [entry.email],
    dossier_owners=lambda entry: [entry.owner] if entry.owner_id else [],
    dossier_holder=lambda entry: entry.full_name,
    holder_label="Personne candidate",
    jury_call=lambda jury: EntryCall.objects.filter(jury=jury).first(),
    mail_prefix="entry_jury_",
    dossier_label=lambda entry: entry.full_name,
    anonymous=True,
    anonymous_label=lambda entry: f"Candidature n° {entry.pk:05d}",
    # What the conflicts page and the conflict rule (the e-mail's domain) read.
    conflict_fields=("pk", "full_name", "email"),
    juror_fields=(
        ("specialty_label", "Métier"),
        ("years_of_experience", "Années d'expérience"),
        ("motivation", "Motivation"),
    ),
)
