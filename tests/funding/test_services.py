import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eig.exceptions import DomainError, InvalidTransition
from eig.history.selectors import history_for, history_latest
from eig.programme.models import Administration, WorkTime
from funding.models import Convention, ConventionVersion
from funding.selectors import promotion_committed
from funding.services import amendments, preparation, reminders, signatures, versions
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    SignatoryAgentFactory,
    StaffFactory,
    funded_promotion,
    ministry,
    name_signatories,
    operator_of,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db
State = ConventionVersion.State


def _prepare(promotion, administration, staff=None):
    staff = staff or StaffFactory()
    convention = preparation.convention_prepare(
        promotion=promotion, administration=administration, actor=staff
    )
    # Sending needs both signatories named in the text.
    name_signatories(convention, staff)
    return convention


def _signed_pdf():
    return SimpleUploadedFile("signee.pdf", pdf_bytes(2), content_type="application/pdf")


def _rendered(version):
    """The PDF task runs after commit; tests that go on to send render it in place."""
    from funding.pdf import convention_version_render

    return convention_version_render(version_id=version.pk)


def _in_force(convention, staff, agent):
    version = _rendered(convention.versions.get())
    signatures.convention_version_send(version=version, actor=staff)
    signatures.convention_version_sign_admin(version=version, actor=agent, upload=_signed_pdf())
    signatures.convention_version_sign_dinum(version=version, actor=staff)
    return signatures.convention_version_enter_into_force(
        version=version, actor=staff, on=datetime.date(2022, 11, 15)
    )


# --- Preparing ------------------------------------------------------------------------------


def test_prepare_p6_one_line_per_position_at_the_flat_rate():
    promotion = funded_promotion("6")
    signatory = ministry(name="Ministère de la Culture", budget_programme="361")
    first = selected_defi(promotion, signatory, positions=2, title="Archives ouvertes")
    selected_defi(promotion, signatory, positions=3, title="Bibliothèques")

    convention = _prepare(promotion, signatory)

    version = convention.versions.get()
    assert (convention.kind, convention.budget_programme) == ("budgetaire", "361")
    assert convention.reference == f"EIG{promotion.code.upper()}-{promotion.year}-001"
    assert convention.lines.count() == 5
    # Nobody said what experience the EIGs will have: the highest band, prudent.
    assert {line.salary_band.min_years for line in convention.lines.all()} == {6}
    assert (version.number, version.state, version.eig_count) == (1, State.DRAFT, 5)
    assert version.cofinancing == Decimal("100000.00")
    assert version.total_cost == Decimal("346835.50")  # 5 × 69 367,10
    assert [d["title"] for d in version.content["defis"]] == ["Archives ouvertes", "Bibliothèques"]
    assert version.content["defis"][0]["lines"][0]["total"] == "69367.10"
    assert first.positions.count() == 2
    assert list(
        history_latest(ConventionVersion).exclude(to_state="").values_list("from_state", "to_state")
    ) == [("", "draft")]


def test_prepare_keeps_the_band_the_agent_assumed():
    promotion = funded_promotion("5")
    signatory = ministry()
    defi = selected_defi(promotion, signatory, positions=2)
    junior = promotion.salary_bands.get(min_years=0)
    defi.positions.filter(rank=1).update(salary_band=junior)

    version = _prepare(promotion, signatory).versions.get()

    # 3 months of employer cost: 3 × 6 069,62 and 3 × 6 936,71.
    amounts = [line["cofinancing"] for line in version.content["defis"][0]["lines"]]
    assert amounts == ["18208.86", "20810.13"]
    assert version.cofinancing == Decimal("39018.99")


def test_prepare_an_operator_is_signed_for_by_its_ministry():
    promotion = funded_promotion("6")
    parent = ministry(name="Ministère de la Transition écologique", budget_programme="217")
    operator = operator_of(parent, name="Météo-France")
    selected_defi(promotion, operator, title="Prévisions locales")

    report = preparation.conventions_prepare_for_promotion(
        promotion=promotion, actor=StaffFactory()
    )

    [convention] = report.created
    assert convention.administration == parent
    assert convention.lines.get(rank=1).defi.administration == operator
    assert convention.versions.get().content["defis"][0]["host"] == "Météo-France"


def test_prepare_leaves_out_ineligible_and_self_funded_defis():
    promotion = funded_promotion("6")
    orphan = AdministrationFactory(kind=Administration.Kind.OPERATOR, name="Opérateur isolé")
    ineligible = selected_defi(promotion, orphan)
    self_funded = selected_defi(promotion, ministry())
    self_funded.requests_cofinancing = False
    self_funded.save(update_fields=["requests_cofinancing"])

    report = preparation.conventions_prepare_for_promotion(
        promotion=promotion, actor=StaffFactory()
    )

    assert report.created == []
    assert (report.ineligible, report.self_funded) == ([ineligible], [self_funded])
    with pytest.raises(DomainError, match="ne signe pour aucun défi retenu"):
        _prepare(promotion, orphan)


def test_prepare_p7_is_a_partnership_with_the_host_itself():
    promotion = funded_promotion("7")
    # No budget programme: under a partnership no credits move, so the host signs.
    host = AdministrationFactory(kind=Administration.Kind.OPERATOR, name="France Travail")
    defi = selected_defi(promotion, host, positions=2)
    defi.positions.filter(rank=2).update(
        salary_band=promotion.salary_bands.get(min_years=0), work_time=WorkTime.PART
    )

    convention = _prepare(promotion, host)

    version = convention.versions.get()
    assert (convention.kind, convention.administration) == ("partenariat", host)
    lines = version.content["defis"][0]["lines"]
    # Seuil 2 at full time: 5 000 × 1,10 = 5 500 → 6 962,03 → 9 537,98 → × 12.
    assert lines[0]["total"] == "114455.76"
    # Seuil 1 at 4/5: 4 250 × 0,8 × 1,06 = 3 604 → 4 562,03 → 6 249,98 → × 12.
    assert lines[1]["total"] == "74999.76"
    assert version.cofinancing == version.total_cost == Decimal("189455.52")
    assert version.content["remainder"] == "0.00"


def test_prepare_refuses_twice_and_without_rules():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    _prepare(promotion, signatory)
    with pytest.raises(DomainError, match="a déjà une convention"):
        _prepare(promotion, signatory)

    bare = funded_promotion("6")
    bare.funding_rule.delete()
    selected_defi(bare, signatory)
    with pytest.raises(DomainError, match="ne sont pas configurées"):
        _prepare(bare, signatory)


def test_prepare_refuses_past_the_envelope_with_the_amounts():
    promotion = funded_promotion("6", envelope=Decimal("100000.00"))
    first, second = ministry(), ministry()
    selected_defi(promotion, first, positions=3)
    selected_defi(promotion, second, positions=3)
    _prepare(promotion, first)

    with pytest.raises(DomainError) as error:
        _prepare(promotion, second)

    assert error.value.code == "envelope_exceeded"
    message = error.value.message.replace("\u202f", " ").replace("\u00a0", " ")
    assert "120 000,00 €" in message
    assert "100 000,00 €" in message
    assert "20 000,00 € de trop" in message
    assert Convention.objects.filter(administration=second).count() == 0
    assert promotion_committed(promotion) == Decimal("60000.00")


def test_prepare_for_promotion_refuses_only_the_conventions_past_the_envelope():
    promotion = funded_promotion("6", envelope=Decimal("80000.00"))
    for name in ("Ministère A", "Ministère B", "Ministère C"):
        selected_defi(promotion, ministry(name=name), positions=2)

    report = preparation.conventions_prepare_for_promotion(
        promotion=promotion, actor=StaffFactory()
    )

    assert [c.administration.name for c in report.created] == ["Ministère A", "Ministère B"]
    assert [a.name for a, _ in report.refused] == ["Ministère C"]
    assert promotion_committed(promotion) == Decimal("80000.00")


# --- Amending -------------------------------------------------------------------------------


def test_update_a_draft_rewrites_it_in_place():
    promotion = funded_promotion("5")
    signatory = ministry()
    selected_defi(promotion, signatory, positions=2)
    convention = _prepare(promotion, signatory)
    line = convention.lines.get(rank=1)
    junior = promotion.salary_bands.get(min_years=0)

    version = amendments.convention_update(
        convention=convention,
        actor=StaffFactory(),
        lines={line.pk: {"salary_band": junior.pk, "work_time": 100}},
        signatory="La directrice du numérique, Mme Durand",
    )

    assert convention.versions.count() == 1
    assert (version.number, version.state, version.rendered_at) == (1, State.DRAFT, None)
    assert version.cofinancing == Decimal("39018.99")
    assert version.content["signatory"] == "La directrice du numérique, Mme Durand"


def test_update_refuses_a_band_of_another_promotion_and_part_time_in_a_cdd():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    convention = _prepare(promotion, signatory)
    line = convention.lines.get(rank=1)
    foreign = funded_promotion("7").salary_bands.first()
    own = promotion.salary_bands.first()

    with pytest.raises(DomainError, match="tranche de la grille"):
        amendments.convention_update(
            convention=convention,
            actor=StaffFactory(),
            lines={line.pk: {"salary_band": foreign.pk}},
        )
    with pytest.raises(DomainError, match="temps plein"):
        amendments.convention_update(
            convention=convention,
            actor=StaffFactory(),
            lines={line.pk: {"salary_band": own.pk, "work_time": 80}},
        )
    line.refresh_from_db()
    assert (line.salary_band.min_years, line.work_time) == (6, 100)


def test_update_after_sending_makes_a_new_version_and_supersedes_the_sent_one():
    promotion = funded_promotion("5")
    signatory = ministry()
    selected_defi(promotion, signatory, positions=2)
    staff = StaffFactory()
    convention = _prepare(promotion, signatory, staff)
    first = _rendered(convention.versions.get())
    signatures.convention_version_send(version=first, actor=staff)
    line = convention.lines.get(rank=2)
    junior = promotion.salary_bands.get(min_years=0)
    change = {line.pk: {"salary_band": junior.pk, "work_time": 100}}

    with pytest.raises(DomainError, match="motif"):
        amendments.convention_update(convention=convention, actor=staff, lines=change)
    second = amendments.convention_update(
        convention=convention, actor=staff, lines=change, reason="EIG recruté avec 4 ans."
    )

    first.refresh_from_db()
    assert (first.state, first.cofinancing) == (State.SUPERSEDED, Decimal("41620.26"))
    assert (second.number, second.amendment, second.state) == (2, None, State.DRAFT)
    assert second.cofinancing == Decimal("39018.99")
    assert second.title == "version 2"
    with pytest.raises(InvalidTransition):
        signatures.convention_version_sign_dinum(version=first, actor=staff)


def test_update_without_a_change_of_amounts_keeps_the_version():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff = StaffFactory()
    convention = _prepare(promotion, signatory, staff)
    version = _rendered(convention.versions.get())
    signatures.convention_version_send(version=version, actor=staff)

    again = amendments.convention_update(convention=convention, actor=staff, reason="rien")

    assert again == version
    with pytest.raises(DomainError, match="brouillon"):
        amendments.convention_update(convention=convention, actor=staff, signatory="Autre")


def test_avenant_after_entry_into_force():
    promotion = funded_promotion("6", envelope=Decimal("60000.00"))
    signatory = ministry()
    selected_defi(promotion, signatory, positions=2)
    staff, agent = StaffFactory(), SignatoryAgentFactory(administration=signatory)
    convention = _prepare(promotion, signatory, staff)
    initial = _in_force(convention, staff, agent)
    line = convention.lines.get(rank=2)

    # A position was not filled: the line goes, the flat amount with it.
    avenant = amendments.convention_update(
        convention=convention,
        actor=staff,
        lines={line.pk: {"salary_band": line.salary_band_id, "remove": True}},
        reason="Un poste n'a pas été pourvu.",
    )

    initial.refresh_from_db()
    assert (avenant.number, avenant.amendment, avenant.title) == (2, 1, "avenant n° 1")
    assert avenant.content["amendment"]["previous_cofinancing"] == "40000.00"
    assert avenant.cofinancing == Decimal("20000.00")
    # The text in force stays in force until its avenant is.
    assert initial.state == State.IN_FORCE
    assert promotion_committed(promotion) == Decimal("20000.00")

    _in_force_version = _rendered(avenant)
    signatures.convention_version_send(version=avenant, actor=staff)
    signatures.convention_version_sign_admin(version=avenant, actor=agent, upload=_signed_pdf())
    signatures.convention_version_sign_dinum(version=avenant, actor=staff)
    signatures.convention_version_enter_into_force(
        version=avenant, actor=staff, on=datetime.date(2023, 2, 1)
    )
    initial.refresh_from_db()
    assert initial.state == State.SUPERSEDED
    assert _in_force_version.pk == avenant.pk


def test_avenant_past_the_envelope_is_refused():
    promotion = funded_promotion("5", envelope=Decimal("40000.00"))
    signatory = ministry()
    defi = selected_defi(promotion, signatory, positions=2)
    junior = promotion.salary_bands.get(min_years=0)
    defi.positions.update(salary_band=junior)
    staff = StaffFactory()
    convention = _prepare(promotion, signatory, staff)  # 2 × 18 208,86 = 36 417,72
    version = _rendered(convention.versions.get())
    signatures.convention_version_send(version=version, actor=staff)
    senior = promotion.salary_bands.get(min_years=6)
    lines = {line.pk: {"salary_band": senior.pk} for line in convention.lines.all()}

    with pytest.raises(DomainError, match="Enveloppe dépassée"):
        amendments.convention_update(
            convention=convention, actor=staff, lines=lines, reason="Profils confirmés."
        )

    assert convention.versions.count() == 1


# --- Signature ------------------------------------------------------------------------------


def test_signature_circuit_records_each_step():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff, agent = StaffFactory(), SignatoryAgentFactory(administration=signatory)
    convention = _prepare(promotion, signatory, staff)

    version = _in_force(convention, staff, agent)

    assert version.state == State.IN_FORCE
    assert version.in_force_on == datetime.date(2022, 11, 15)
    assert version.signed_pdf.name.endswith("-signee.pdf")
    assert len(version.signed_checksum) == 64
    events = list(
        history_for(version).exclude(to_state="").values_list("from_state", "to_state", "actor")
    )
    assert events == [
        ("", "draft", staff.pk),
        ("draft", "sent", staff.pk),
        ("sent", "signed_admin", agent.pk),
        ("signed_admin", "signed_dinum", staff.pk),
        ("signed_dinum", "in_force", staff.pk),
    ]


def test_signature_steps_out_of_order_are_refused():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff, agent = StaffFactory(), SignatoryAgentFactory(administration=signatory)
    version = _prepare(promotion, signatory, staff).versions.get()

    with pytest.raises(DomainError, match="en cours de production"):
        signatures.convention_version_send(version=version, actor=staff)
    version = _rendered(version)
    with pytest.raises(InvalidTransition):
        signatures.convention_version_sign_admin(version=version, actor=agent, upload=_signed_pdf())
    with pytest.raises(InvalidTransition):
        signatures.convention_version_sign_dinum(version=version, actor=staff)
    with pytest.raises(InvalidTransition):
        signatures.convention_version_enter_into_force(
            version=version, actor=staff, on=datetime.date(2022, 1, 1)
        )
    version.refresh_from_db()
    assert version.state == State.DRAFT


def test_only_the_signatory_agents_or_staff_upload_the_signed_pdf():
    promotion = funded_promotion("6")
    parent = ministry()
    operator = operator_of(parent)
    selected_defi(promotion, operator)
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, parent, staff).versions.get())
    signatures.convention_version_send(version=version, actor=staff)

    for outsider in (AgentFactory(administration=operator), AgentFactory()):
        with pytest.raises(DomainError, match="Seuls les agents"):
            signatures.convention_version_sign_admin(
                version=version, actor=outsider, upload=_signed_pdf()
            )
    with pytest.raises(DomainError, match="équipe du programme"):
        signatures.convention_version_sign_dinum(
            version=version, actor=AgentFactory(administration=parent)
        )
    version.refresh_from_db()
    assert (version.state, version.signed_pdf.name) == (State.SENT, "")

    signatures.convention_version_sign_admin(version=version, actor=staff, upload=_signed_pdf())
    version.refresh_from_db()
    assert version.state == State.SIGNED_ADMIN


def test_signed_upload_must_be_a_pdf():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff, agent = StaffFactory(), SignatoryAgentFactory(administration=signatory)
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())
    signatures.convention_version_send(version=version, actor=staff)
    fake = SimpleUploadedFile("signee.pdf", b"pas un pdf", content_type="application/pdf")

    with pytest.raises(DomainError):
        signatures.convention_version_sign_admin(version=version, actor=agent, upload=fake)

    version.refresh_from_db()
    assert (version.state, version.signed_pdf.name) == (State.SENT, "")


# --- Mail and reminders -----------------------------------------------------------------------


def test_sending_mails_the_pdf_once_to_each_signatory_agent(django_capture_on_commit_callbacks):
    promotion = funded_promotion("6")
    signatory = ministry()
    # The défi's author and two colleagues are the administration's named signatories.
    selected_defi(promotion, signatory, owner=SignatoryAgentFactory(administration=signatory))
    agents = [SignatoryAgentFactory(administration=signatory) for _ in range(2)]
    AgentFactory()  # another administration's agent: not mailed
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        signatures.convention_version_send(version=version, actor=staff)
    again = reminders.convention_version_mail_for_signature(version_id=version.pk)

    assert again == 0
    # The défi's author is an agent of the signatory administration too.
    recipients = sorted(m.to[0] for m in mail.outbox)
    expected = sorted(u.email for u in [*agents, version.convention.lines.get(rank=1).defi.owner])
    assert recipients == expected
    message = mail.outbox[0]
    assert message.attachments[0][0] == f"{version.convention.reference}-v1.pdf"
    assert message.attachments[0][1][:5] == b"%PDF-"
    assert f"/financement/conventions/{version.convention.pk}/" in message.body


def test_signature_reminders_at_each_threshold_once(django_capture_on_commit_callbacks):
    promotion = funded_promotion("6")
    signatory = ministry()
    defi = selected_defi(
        promotion, signatory, owner=SignatoryAgentFactory(administration=signatory)
    )
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())
    sent_at = timezone.now() - datetime.timedelta(days=30)
    signatures.convention_version_send(version=version, actor=staff, now=sent_at)
    mail.outbox.clear()

    day = datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        counts = [
            reminders.convention_send_signature_reminders(now=sent_at + offset)
            for offset in (6 * day, 7 * day, 7 * day + datetime.timedelta(hours=1), 15 * day)
        ]

    assert counts == [0, 1, 0, 1]
    assert [m.to for m in mail.outbox] == [[defi.owner.email]] * 2
    assert "Relance" in mail.outbox[0].subject

    # Signed by the administration: now staff are reminded to countersign.
    signatures.convention_version_sign_admin(
        version=version, actor=staff, upload=_signed_pdf(), now=sent_at + 16 * day
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.convention_send_signature_reminders(now=sent_at + 19 * day) == 1
        assert reminders.convention_send_signature_reminders(now=sent_at + 19 * day) == 0
    assert mail.outbox[0].to == [staff.email]
    assert "contresigner" in mail.outbox[0].subject


def test_a_defi_selected_later_joins_its_signatory_convention_by_avenant():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory, title="Premier défi")
    staff, agent = StaffFactory(), SignatoryAgentFactory(administration=signatory)
    convention = _prepare(promotion, signatory, staff)
    initial = _in_force(convention, staff, agent)
    selected_defi(promotion, signatory, positions=3, title="Second défi")

    report = preparation.conventions_prepare_for_promotion(promotion=promotion, actor=staff)

    [avenant] = report.amended
    assert report.created == []
    assert (avenant.number, avenant.amendment, avenant.eig_count) == (2, 1, 5)
    assert avenant.cofinancing == Decimal("100000.00")
    assert avenant.reason == (
        "Ajout du défi « Second défi », retenu après la préparation de la convention."
    )
    initial.refresh_from_db()
    assert (initial.state, initial.cofinancing) == (State.IN_FORCE, Decimal("40000.00"))
    # Nothing left to add: a second run changes nothing.
    again = preparation.conventions_prepare_for_promotion(promotion=promotion, actor=staff)
    assert (again.created, again.amended, again.refused) == ([], [], [])


def test_a_defi_selected_later_past_the_envelope_is_refused_and_not_added():
    promotion = funded_promotion("6", envelope=Decimal("50000.00"))
    signatory = ministry()
    selected_defi(promotion, signatory, positions=2)
    convention = _prepare(promotion, signatory)
    selected_defi(promotion, signatory, positions=2)

    report = preparation.conventions_prepare_for_promotion(
        promotion=promotion, actor=StaffFactory()
    )

    [(administration, message)] = report.refused
    assert administration == signatory
    assert message.startswith("Enveloppe dépassée")
    assert convention.lines.count() == 2
    assert convention.versions.get().cofinancing == Decimal("40000.00")


def test_only_staff_send_a_convention():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    version = _rendered(_prepare(promotion, signatory).versions.get())

    with pytest.raises(DomainError, match="équipe du programme"):
        signatures.convention_version_send(
            version=version, actor=AgentFactory(administration=signatory)
        )
    version.refresh_from_db()
    assert version.state == State.DRAFT


def test_convention_pdf_left_undone_by_a_broker_down_is_rendered_by_the_sweep(
    broker_down, django_capture_on_commit_callbacks
):
    # Prepared while the broker was down: the render was never queued, and the version said
    # "en cours de production" for good. The beat sweep queues it again.
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    with django_capture_on_commit_callbacks(execute=True):
        convention = _prepare(promotion, signatory)
    version = convention.versions.get()
    assert version.rendered_at is None
    broker_down.returns()

    assert versions.convention_versions_requeue_unrendered() == 0
    later = timezone.now() + datetime.timedelta(minutes=11)
    assert versions.convention_versions_requeue_unrendered(now=later) == 1

    version.refresh_from_db()
    assert version.rendered_at is not None
    assert version.pdf.read(5) == b"%PDF-"
    assert versions.convention_versions_requeue_unrendered(now=later) == 0


def test_convention_send_writes_its_mails_with_the_pdf_even_with_the_broker_down(
    broker_down, django_capture_on_commit_callbacks
):
    from eig.notifications.models import OutboxMessage
    from eig.notifications.services import outbox_sweep

    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    named = SignatoryAgentFactory(administration=signatory)  # signatures go to signatories
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())

    with django_capture_on_commit_callbacks(execute=True):
        signatures.convention_version_send(version=version, actor=staff)

    message = OutboxMessage.objects.get()
    assert (message.recipients, message.state) == ([named.email], "pending")
    assert message.attachments.get().mimetype == "application/pdf"
    broker_down.returns()
    assert outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=5)) == 1
    assert mail.outbox[0].attachments[0][1].startswith(b"%PDF-")


# --- Signatories ------------------------------------------------------------------------------


def test_sending_is_refused_until_both_signatories_are_named():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff = StaffFactory()
    convention = preparation.convention_prepare(
        promotion=promotion, administration=signatory, actor=staff
    )
    version = _rendered(convention.versions.get())

    with pytest.raises(DomainError, match="Indiquez le signataire pour l'administration et"):
        signatures.convention_version_send(version=version, actor=staff)
    amendments.convention_update(convention=convention, actor=staff, signatory="La directrice")
    version = _rendered(convention.versions.get())
    with pytest.raises(DomainError, match="^Indiquez le signataire pour la DINUM ") as error:
        signatures.convention_version_send(version=version, actor=staff)
    version.refresh_from_db()
    assert (error.value.code, version.state) == ("signatories_missing", State.DRAFT)

    amendments.convention_update(convention=convention, actor=staff, dinum_signatory="Le DINUM")
    version = signatures.convention_version_send(
        version=_rendered(convention.versions.get()), actor=staff
    )
    assert version.state == State.SENT


def test_a_verified_member_who_is_not_signatory_cannot_upload_the_signed_pdf():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())
    signatures.convention_version_send(version=version, actor=staff)

    with pytest.raises(DomainError, match="Seuls les agents signataires"):
        signatures.convention_version_sign_admin(
            version=version, actor=AgentFactory(administration=signatory), upload=_signed_pdf()
        )
    version = signatures.convention_version_sign_admin(
        version=version,
        actor=SignatoryAgentFactory(administration=signatory),
        upload=_signed_pdf(),
    )
    assert version.state == State.SIGNED_ADMIN


def test_signature_mails_go_to_the_named_signatories_only(django_capture_on_commit_callbacks):
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)  # its author is a member, not a signatory
    named = SignatoryAgentFactory(administration=signatory)
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        signatures.convention_version_send(version=version, actor=staff)

    assert [m.to for m in mail.outbox] == [[named.email]]


def test_an_administration_without_signatory_is_mailed_nothing():
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory)
    staff = StaffFactory()
    version = _rendered(_prepare(promotion, signatory, staff).versions.get())
    signatures.convention_version_send(version=version, actor=staff)
    mail.outbox.clear()

    assert reminders.convention_version_mail_for_signature(version_id=version.pk) == 0
    assert mail.outbox == []
