"""An anonymous jury, end to end in the engine: whatever the services mail or say to jurors
names each dossier by its anonymous label, never by who carries it. Checked by reading every
outbox row a juror receives, attachments included, for the applicants' names and addresses.
(The juror's pages are checked where they are rendered.)"""

import datetime

import pytest
from django.db.models import Q

from eig.exceptions import DomainError
from eig.jury import decisions, hearings, services, shortlist
from eig.notifications.models import OutboxMessage
from tests.factories import StaffFactory
from tests.jury_kit import KITS

pytestmark = pytest.mark.django_db

APPLICANTS = [
    ("Aurélie Vasseur-Lemoine", "aurelie.vasseur@lemoine-conseil.example.org"),
    ("Bastien Quérné", "b.querne@atelier-querne.example.org"),
    ("Chloé N'Diaye", "chloe@ndiaye-data.example.org"),
]


def _identity_strings():
    for name, email in APPLICANTS:
        yield name
        yield email
        yield email.partition("@")[0]  # the local part names the person too


def _texts(messages):
    for message in messages:
        yield message.subject
        yield message.body
        for attachment in message.attachments.all():
            yield bytes(attachment.content).decode("utf-8", errors="replace")


def test_an_anonymous_jury_never_tells_a_juror_who_applied(django_capture_on_commit_callbacks):
    kit = KITS["entries"]
    assert kit.domain.anonymous
    staff = StaffFactory()
    jury = kit.jury(closed=True, jurors=3, k=2, criteria=2)
    entries = [kit.dossier(jury, name=name, email=email) for name, email in APPLICANTS]
    jurors = {member.user.email for member in jury.members.select_related("user")}

    with django_capture_on_commit_callbacks(execute=True):
        services.jury_assign(domain=kit.domain, jury=jury, actor=staff)
        services.jury_notify_jurors(domain=kit.domain, jury=jury)
        evaluation = kit.evaluations().select_related("member__user", "member__jury").first()
        services.evaluation_save(
            domain=kit.domain,
            evaluation=evaluation,
            actor=evaluation.member.user,
            version=0,
            scores={criterion.pk: (3, "") for criterion in jury.criteria.all()},
            overall_comment="",
            submit=True,
        )
        services.evaluation_reopen(
            domain=kit.domain, evaluation=evaluation, actor=staff, note="À revoir"
        )
        jury.scoring_deadline = datetime.datetime(2027, 3, 10, 18, 0, tzinfo=datetime.UTC)
        jury.save(update_fields=["scoring_deadline"])
        services.jury_send_scoring_reminders(
            domain=kit.domain, now=jury.scoring_deadline - datetime.timedelta(hours=5)
        )

        # Hearings: the group's jurors record opinions; the applicants are convoked.
        group = hearings.jury_group_create(
            jury=jury, name="Entretiens", members=list(jury.members.all())
        )
        reviews = []
        for hour, entry in zip((9, 10), entries, strict=False):
            shortlist.review_shortlist(domain=kit.domain, jury=jury, dossier=entry, actor=staff)
            start = datetime.datetime(2027, 3, 24, hour, 0, tzinfo=datetime.UTC)
            slot = hearings.hearing_slot_create(
                jury=jury,
                group=group,
                starts_at=start,
                ends_at=start + datetime.timedelta(minutes=30),
                video_url="https://webinaire.numerique.gouv.fr/entretien",
            )
            reviews.append(
                hearings.review_assign_slot(
                    domain=kit.domain, jury=jury, dossier=entry, slot=slot, actor=staff
                )
            )
        hearings.hearing_convoke(domain=kit.domain, jury=jury, actor=staff)
        juror = group.members.select_related("user").first().user
        for review in reviews[:1]:
            hearings.review_record_hearing(
                domain=kit.domain,
                review=review,
                actor=juror,
                opinion="favourable",
                hearing_rank=1,
                favourite=False,
                justification="Convaincant.",
            )
        with pytest.raises(DomainError) as refusal:
            hearings.review_record_hearing(
                domain=kit.domain,
                review=reviews[1],
                actor=juror,
                opinion="favourable",
                hearing_rank=1,
                favourite=False,
                justification="Convaincant aussi.",
            )
        decisions.review_decide(
            domain=kit.domain,
            jury=jury,
            dossier=entries[0],
            decision="selected",
            motivation="",
            actor=staff,
        )

    to_jurors = OutboxMessage.objects.filter(
        Q(*[Q(recipients__contains=[email]) for email in jurors], _connector=Q.OR)
    ).prefetch_related("attachments")
    templates = set(to_jurors.values_list("template", flat=True))
    assert {"jury_assignments", "jury_evaluation_reopened", "jury_scoring_reminder"} <= templates
    texts = [*_texts(to_jurors), refusal.value.message]
    for identity in _identity_strings():
        assert not [text for text in texts if identity in text], identity
    # What jurors read names the applications by their numbers instead.
    assert kit.domain.anonymous_label(entries[0]) in refusal.value.message
    assert any(kit.domain.anonymous_label(entry) in "".join(texts) for entry in entries[1:])

    # The applicants themselves are told, by name, at their own address.
    to_applicants = OutboxMessage.objects.exclude(pk__in=to_jurors.values("pk"))
    assert to_applicants.filter(recipients=[APPLICANTS[0][1]]).exists()
    assert any(APPLICANTS[0][0] in text for text in _texts(to_applicants))


def test_what_jurors_may_read_of_an_entry_does_not_identify_it():
    kit = KITS["entries"]
    jury = kit.jury(closed=True)
    name, email = APPLICANTS[0]
    entry = kit.dossier(jury, name=name, email=email, motivation="Servir l'intérêt général.")

    shown = {label: str(getattr(entry, field)) for field, label in kit.domain.juror_fields}

    assert shown == {
        "Métier": "Développement",
        "Années d'expérience": "3",
        "Motivation": "Servir l'intérêt général.",
    }
    assert kit.domain.label_for_juror(entry) == f"Candidature n° {entry.pk:05d}"
    for identity in _identity_strings():
        assert identity not in " ".join([*shown.values(), kit.domain.label_for_juror(entry)])
