import datetime
import html
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eig.history.selectors import history_for, history_latest
from eig.programme.models import Administration, Promotion
from funding.models import Convention, ConventionVersion
from funding.services import amendments, preparation, signatures
from tests import pdfs
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    JurorFactory,
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

# Queries of each page, whatever its number of rows (session and user included).
# (+1 each since memberships: the detail page asks who signs, the list whether the agent does.)
DETAIL_QUERIES = 10
MY_CONVENTIONS_QUERIES = 5


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _signed_pdf(content=None, name="convention-signee.pdf"):
    return SimpleUploadedFile(name, content or pdf_bytes(2), content_type="application/pdf")


@dataclass
class World:
    """A P6 promotion (20 000 € per EIG, envelope 100 000 €) whose Ministère de la Culture
    signs for the défi of its operator, the BnF: one convention, 2 EIG, 40 000 €."""

    promotion: Promotion
    signatory: Administration
    operator: Administration
    convention: Convention
    staff: object
    signatory_agent: object
    operator_agent: object


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    promotion = funded_promotion("6", envelope=Decimal("100000.00"))
    signatory = ministry(name="Ministère de la Culture", budget_programme="361")
    operator = operator_of(signatory, name="Bibliothèque nationale de France")
    operator_agent = AgentFactory(administration=operator)
    selected_defi(promotion, operator, positions=2, title="Gallica augmentée", owner=operator_agent)
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        convention = preparation.convention_prepare(
            promotion=promotion, administration=signatory, actor=staff
        )
        name_signatories(convention, staff)
    return World(
        promotion=promotion,
        signatory=signatory,
        operator=operator,
        convention=convention,
        staff=staff,
        signatory_agent=SignatoryAgentFactory(administration=signatory, first_name="Sacha"),
        operator_agent=operator_agent,
    )


def _current(convention) -> ConventionVersion:
    return convention.versions.order_by("-number").first()


def _url(name, convention, version=None):
    if version is None:
        return reverse(f"funding:{name}", args=[convention.pk])
    return reverse(f"funding:{name}", args=[convention.pk, version.number])


def _sent(world, capture) -> ConventionVersion:
    with capture(execute=True):
        return signatures.convention_version_send(
            version=_current(world.convention), actor=world.staff
        )


def _signed(world, capture) -> ConventionVersion:
    version = _sent(world, capture)
    return signatures.convention_version_sign_admin(
        version=version, actor=world.signatory_agent, upload=_signed_pdf()
    )


# --- Access -----------------------------------------------------------------------------------


def _reader_pages(world, version):
    return [
        _url("convention_detail", world.convention),
        _url("version_pdf", world.convention, version),
        _url("version_signed_pdf", world.convention, version),
    ]


def test_convention_pages_for_staff_and_both_agents(
    client, world, django_capture_on_commit_callbacks
):
    version = _signed(world, django_capture_on_commit_callbacks)
    for user in [world.staff, world.signatory_agent, world.operator_agent]:
        client.force_login(user)
        for url in _reader_pages(world, version):
            assert client.get(url).status_code == 200, (user, url)


@pytest.mark.parametrize(
    "factory",
    [AgentFactory, CandidateFactory, JurorFactory],
    ids=["other-agent", "candidate", "juror"],
)
def test_convention_pages_are_404_for_anyone_else(
    client, world, factory, django_capture_on_commit_callbacks
):
    version = _sent(world, django_capture_on_commit_callbacks)
    user = factory()
    client.force_login(user)
    for url in _reader_pages(world, version):
        assert client.get(url).status_code == 404, url
    for name in ["version_send", "version_sign_admin", "version_sign_dinum", "version_in_force"]:
        assert client.post(_url(name, world.convention, version)).status_code == 404, name
    assert client.post(_url("convention_update", world.convention)).status_code == 404
    assert _current(world.convention).state == State.SENT
    mine = client.get(reverse("funding:my_conventions"))
    if user.is_agent:
        # Their own list, without this convention.
        assert world.convention.reference not in _text(mine)
    else:
        assert mine.status_code == 404


def test_a_juror_of_the_signatory_administration_does_not_read_it(client, world):
    # Belonging to the administration is not enough: agents sign, jurors do not.
    client.force_login(JurorFactory(administration=world.signatory))

    assert client.get(_url("convention_detail", world.convention)).status_code == 404


def test_convention_pages_send_anonymous_users_to_login(client, world):
    version = _current(world.convention)
    urls = [*_reader_pages(world, version), reverse("funding:my_conventions")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    response = client.post(_url("version_send", world.convention, version))
    assert response.url.startswith(reverse("account_login"))
    assert _current(world.convention).state == State.DRAFT


def test_staff_steps_are_refused_to_the_signatory_agents(
    client, world, django_capture_on_commit_callbacks
):
    version = _current(world.convention)
    client.force_login(world.signatory_agent)

    assert client.post(_url("version_send", world.convention, version)).status_code == 403
    response = client.post(
        _url("convention_update", world.convention),
        {
            f"line-{line.pk}-salary_band": line.salary_band_id
            for line in world.convention.lines.all()
        },
    )
    assert response.status_code == 403
    assert _current(world.convention).state == State.DRAFT

    version = _signed(world, django_capture_on_commit_callbacks)
    assert client.post(_url("version_sign_dinum", world.convention, version)).status_code == 403
    assert _current(world.convention).state == State.SIGNED_ADMIN


def test_pdf_links_are_404_until_the_files_exist(client, world):
    version = _current(world.convention)
    version.rendered_at = None  # a draft being rendered again
    version.save(update_fields=["rendered_at"])
    client.force_login(world.staff)

    assert client.get(_url("version_pdf", world.convention, version)).status_code == 404
    assert client.get(_url("version_signed_pdf", world.convention, version)).status_code == 404
    page = _text(client.get(_url("convention_detail", world.convention)))
    assert "PDF en cours de production" in page
    assert _url("version_pdf", world.convention, version) not in page


def test_pdf_download_is_the_rendered_file_as_an_attachment(client, world):
    version = _current(world.convention)
    client.force_login(world.operator_agent)

    response = client.get(_url("version_pdf", world.convention, version))

    assert response["Content-Type"] == "application/pdf"
    reference = world.convention.reference
    assert response["Content-Disposition"] == (
        f'attachment; filename="convention-{reference}-v1.pdf"'
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    with version.pdf.open("rb") as handle:
        assert body == handle.read()


# --- Upload by the administration --------------------------------------------------------------


def test_signatory_agent_uploads_the_signed_pdf(client, world, django_capture_on_commit_callbacks):
    version = _sent(world, django_capture_on_commit_callbacks)
    client.force_login(world.signatory_agent)
    content = pdf_bytes(2)

    response = client.post(
        _url("version_sign_admin", world.convention, version),
        {"signed_pdf": _signed_pdf(content)},
        follow=True,
    )

    version.refresh_from_db()
    assert version.state == State.SIGNED_ADMIN
    assert (
        "signée par l'administration signataire (Ministère de la Culture) est déposée"
    ) in _text(response)
    signed = client.get(_url("version_signed_pdf", world.convention, version))
    assert b"".join(signed.streaming_content) == content
    assert signed["Content-Disposition"] == (
        f'attachment; filename="convention-{world.convention.reference}-v1-signee.pdf"'
    )


def test_operator_agent_reads_but_cannot_upload(client, world, django_capture_on_commit_callbacks):
    version = _sent(world, django_capture_on_commit_callbacks)
    client.force_login(world.operator_agent)

    page = _text(client.get(_url("convention_detail", world.convention)))
    response = client.post(
        _url("version_sign_admin", world.convention, version),
        {"signed_pdf": _signed_pdf()},
        follow=True,
    )

    assert "Déposer la convention signée" not in page
    assert (
        "Seuls les agents signataires de l'administration (Ministère de la Culture) déposent la "
        "convention signée"
    ) in _text(response)
    version.refresh_from_db()
    assert (version.state, version.signed_pdf.name) == (State.SENT, "")


def test_upload_of_a_non_pdf_is_refused_in_french(
    client, world, django_capture_on_commit_callbacks
):
    version = _sent(world, django_capture_on_commit_callbacks)
    client.force_login(world.signatory_agent)

    response = client.post(
        _url("version_sign_admin", world.convention, version),
        {"signed_pdf": _signed_pdf(b"Bonjour, voici la convention.", name="convention.pdf")},
        follow=True,
    )

    assert response.status_code == 200
    assert "Ce fichier n'est pas un PDF" in _text(response)
    version.refresh_from_db()
    assert version.state == State.SENT
    assert not history_latest(ConventionVersion).filter(to_state=State.SIGNED_ADMIN).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda: pdfs.pdf_with_many_pages(61), "Ce PDF compte 61 pages : la limite est de 60."),
        (lambda: pdfs.pdf_with_many_pages(50_000, shared=True), "Ce PDF compte 50000 pages"),
        (pdfs.pdf_with_open_action_javascript, "Ce PDF contient du JavaScript"),
        (pdfs.pdf_with_launch_link, "Ce PDF contient une action qui lance un programme"),
    ],
    ids=["61-pages", "50000-pages", "javascript", "launch"],
)
def test_upload_of_a_long_or_active_pdf_is_refused_in_french(
    client, world, django_capture_on_commit_callbacks, content, message
):
    version = _sent(world, django_capture_on_commit_callbacks)
    client.force_login(world.signatory_agent)

    response = client.post(
        _url("version_sign_admin", world.convention, version),
        {"signed_pdf": _signed_pdf(content())},
        follow=True,
    )

    assert response.status_code == 200
    assert message in _text(response)
    version.refresh_from_db()
    assert (version.state, version.signed_pdf.name) == (State.SENT, "")


def test_upload_without_a_file_asks_for_one(client, world, django_capture_on_commit_callbacks):
    version = _sent(world, django_capture_on_commit_callbacks)
    client.force_login(world.signatory_agent)

    response = client.post(_url("version_sign_admin", world.convention, version), follow=True)

    assert "Choisissez le PDF de la convention signée." in _text(response)
    version.refresh_from_db()
    assert version.state == State.SENT


# --- Staff's steps ------------------------------------------------------------------------------


def test_full_path_through_the_pages(client, world, django_capture_on_commit_callbacks):
    """Prepare on the budget page, send, upload the signed PDF, countersign, in force, then
    an avenant with its reason."""
    other = ministry(name="Ministère de l'Intérieur", budget_programme="216")
    selected_defi(world.promotion, other, positions=1, title="Alertes inondation")
    staff, convention = world.staff, world.convention
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("funding:budget_prepare", args=[world.promotion.pk]), follow=True
        )
    prepared = Convention.objects.get(administration=other)
    assert f"1 convention préparée en brouillon : {prepared.reference}." in _text(response)
    assert _current(prepared).cofinancing == Decimal("20000.00")

    version = _current(convention)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("version_send", convention, version), follow=True)
    assert (
        "est envoyée pour signature à l'administration signataire (Ministère de la Culture)"
    ) in _text(response)
    assert [message.to for message in mail.outbox] == [[world.signatory_agent.email]]

    client.force_login(world.signatory_agent)
    client.post(_url("version_sign_admin", convention, version), {"signed_pdf": _signed_pdf()})
    client.force_login(staff)
    response = client.post(_url("version_sign_dinum", convention, version), follow=True)
    assert "La convention initiale est signée par la DINUM." in _text(response)
    response = client.post(
        _url("version_in_force", convention, version), {"in_force_on": "2023-01-16"}, follow=True
    )
    assert "La convention initiale est en vigueur depuis le 16/01/2023." in _text(response)
    version.refresh_from_db()
    assert (version.state, version.in_force_on) == (State.IN_FORCE, datetime.date(2023, 1, 16))

    # One EIG hired with less experience: the lower band, through an avenant.
    lines = list(convention.lines.order_by("rank"))
    lower = world.promotion.salary_bands.get(min_years=0)
    data = {f"line-{line.pk}-salary_band": line.salary_band_id for line in lines}
    data[f"line-{lines[0].pk}-salary_band"] = lower.pk
    data["reason"] = "Recrutement d'une EIG de 4 ans d'expérience."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("convention_update", convention), data, follow=True)

    avenant = _current(convention)
    assert (avenant.number, avenant.amendment, avenant.state) == (2, 1, State.DRAFT)
    assert avenant.reason == "Recrutement d'une EIG de 4 ans d'expérience."
    assert avenant.total_cost == Decimal("130063.30")  # 60 696,20 + 69 367,10
    assert avenant.cofinancing == Decimal("40000.00")
    page = _text(response)
    assert "L'avenant n° 1 est créé en brouillon" in page
    assert "Motif : Recrutement d'une EIG de 4 ans d'expérience." in page
    version.refresh_from_db()
    assert version.state == State.IN_FORCE  # until the avenant is in force
    assert list(
        history_for(version).exclude(to_state="").values_list("from_state", "to_state")
    ) == [
        ("", "draft"),
        ("draft", "sent"),
        ("sent", "signed_admin"),
        ("signed_admin", "signed_dinum"),
        ("signed_dinum", "in_force"),
    ]


def test_update_of_a_draft_changes_bands_and_signatories_in_place(client, world):
    convention = world.convention
    client.force_login(world.staff)
    lines = list(convention.lines.order_by("rank"))
    lower = world.promotion.salary_bands.get(min_years=0)

    response = client.post(
        _url("convention_update", convention),
        {
            **{f"line-{line.pk}-salary_band": lower.pk for line in lines},
            "signatory": "La secrétaire générale, Claire Dupont",
            "dinum_signatory": "Le directeur, Jean Martin",
        },
        follow=True,
    )

    convention.refresh_from_db()
    version = convention.versions.get()
    assert (version.number, version.state) == (1, State.DRAFT)
    assert version.total_cost == Decimal("121392.40")  # 2 × 60 696,20
    assert convention.signatory == "La secrétaire générale, Claire Dupont"
    assert "Le brouillon est mis à jour" in _text(response)


def test_update_after_sending_without_reason_changes_nothing(
    client, world, django_capture_on_commit_callbacks
):
    convention = world.convention
    version = _sent(world, django_capture_on_commit_callbacks)
    lower = world.promotion.salary_bands.get(min_years=0)
    before = list(convention.lines.values_list("pk", "salary_band_id"))
    client.force_login(world.staff)

    response = client.post(
        _url("convention_update", convention),
        {f"line-{line.pk}-salary_band": lower.pk for line in convention.lines.all()},
    )

    assert response.status_code == 400
    assert "Indiquez le motif de la modification" in _text(response)
    assert convention.versions.count() == 1
    version.refresh_from_db()
    assert version.state == State.SENT
    assert list(convention.lines.values_list("pk", "salary_band_id")) == before


def test_update_with_a_band_outside_the_grid_is_a_form_error(client, world):
    other = funded_promotion("5")
    convention = world.convention
    client.force_login(world.staff)

    response = client.post(
        _url("convention_update", convention),
        {
            f"line-{line.pk}-salary_band": other.salary_bands.first().pk
            for line in convention.lines.all()
        },
    )

    assert response.status_code == 400
    assert "Choisissez une tranche de la grille de la promotion." in _text(response)


def test_send_before_the_pdf_is_rendered_says_so(client, world):
    version = _current(world.convention)
    version.rendered_at = None
    version.save(update_fields=["rendered_at"])
    client.force_login(world.staff)

    response = client.post(_url("version_send", world.convention, version), follow=True)

    assert "Le PDF de cette version est en cours de production" in _text(response)
    version.refresh_from_db()
    assert version.state == State.DRAFT


def test_steps_out_of_order_are_messages_not_errors(client, world):
    version = _current(world.convention)
    client.force_login(world.staff)

    response = client.post(_url("version_sign_dinum", world.convention, version), follow=True)
    assert response.status_code == 200
    assert "cette étape ne s'applique pas" in _text(response)

    response = client.post(
        _url("version_in_force", world.convention, version), {"in_force_on": "16/01/2023"}
    )
    assert response.status_code == 302
    response = client.post(
        _url("version_in_force", world.convention, version), {"in_force_on": "demain"}, follow=True
    )
    assert "Indiquez une date valide" in _text(response)
    version.refresh_from_db()
    assert version.state == State.DRAFT


def test_prepare_past_the_envelope_names_the_amounts(client, world):
    world.promotion.budget_envelope = Decimal("50000.00")
    world.promotion.save(update_fields=["budget_envelope"])
    interior = ministry(name="Ministère de l'Intérieur", budget_programme="216")
    selected_defi(world.promotion, interior, positions=1)
    client.force_login(world.staff)

    response = client.post(
        reverse("funding:budget_prepare", args=[world.promotion.pk]), follow=True
    )

    page = _text(response)
    assert "Convention du ministère de l'Intérieur non préparée." in page
    assert "à 60\u202f000,00\u00a0€ pour une enveloppe de 50\u202f000,00\u00a0€" in page
    assert "soit 10\u202f000,00\u00a0€ de trop" in page
    assert not Convention.objects.filter(administration=interior).exists()


def test_detail_page_shows_the_amounts_the_versions_and_the_history(
    client, world, django_capture_on_commit_callbacks
):
    _signed(world, django_capture_on_commit_callbacks)
    client.force_login(world.staff)

    page = _text(client.get(_url("convention_detail", world.convention)))

    assert "Gallica augmentée" in page
    assert "accueilli par la Bibliothèque nationale de France" in page
    assert "69\u202f367,10\u00a0€" in page  # one EIG at 4 000 € net, 10 months
    assert "40\u202f000,00\u00a0€" in page
    assert "Convention initiale" in page
    version = _current(world.convention)
    assert f"SHA-256 {version.checksum[:12]}…" in page
    assert f"SHA-256 {version.signed_checksum[:12]}…" in page
    assert "Envoyée pour signature → Signée par l'administration" in page
    assert "Enregistrer la signature de la DINUM" in page


# --- My conventions ------------------------------------------------------------------------


def test_my_conventions_highlights_what_to_sign(client, world, django_capture_on_commit_callbacks):
    _sent(world, django_capture_on_commit_callbacks)

    client.force_login(world.signatory_agent)
    page = _text(client.get(reverse("funding:my_conventions")))
    assert world.convention.reference in page
    assert "1 convention à signer" in page
    assert "À signer" in page

    client.force_login(world.operator_agent)
    page = _text(client.get(reverse("funding:my_conventions")))
    assert world.convention.reference in page
    assert "À signer" not in page


def test_my_conventions_sends_staff_to_the_budget(client, world):
    client.force_login(world.staff)

    response = client.get(reverse("funding:my_conventions"))

    assert response.url == reverse("funding:budget_index")


# --- Query counts ----------------------------------------------------------------------------


def _convention_with(count, capture):
    """A convention of `count` lines and `count` versions (each later one made by a change
    of band after sending)."""
    promotion = funded_promotion("6")
    signatory = ministry()
    selected_defi(promotion, signatory, positions=count)
    staff = StaffFactory()
    with capture(execute=True):
        convention = preparation.convention_prepare(
            promotion=promotion, administration=signatory, actor=staff
        )
        name_signatories(convention, staff)
    bands = list(promotion.salary_bands.order_by("min_years"))
    for number in range(2, count + 1):
        with capture(execute=True):
            signatures.convention_version_send(version=_current(convention), actor=staff)
        with capture(execute=True):
            amendments.convention_update(
                convention=convention,
                actor=staff,
                lines={
                    line.pk: {"salary_band": bands[number % 2].pk}
                    for line in convention.lines.all()
                },
                reason=f"Changement n° {number}",
            )
    return convention, staff


@pytest.mark.parametrize("count", [1, 3])
def test_detail_queries_do_not_grow_with_lines_and_versions(
    client, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    convention, staff = _convention_with(count, django_capture_on_commit_callbacks)
    assert convention.versions.count() == convention.lines.count() == count
    client.force_login(staff)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(_url("convention_detail", convention))

    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_my_conventions_queries_do_not_grow(
    client, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    signatory = ministry()
    staff = StaffFactory()
    for _ in range(count):
        promotion = funded_promotion("6")
        selected_defi(promotion, signatory, positions=1)
        with django_capture_on_commit_callbacks(execute=True):
            preparation.convention_prepare(
                promotion=promotion, administration=signatory, actor=staff
            )
    client.force_login(AgentFactory(administration=signatory))

    with django_assert_num_queries(MY_CONVENTIONS_QUERIES):
        response = client.get(reverse("funding:my_conventions"))

    assert _text(response).count("convention initiale") == count


def test_update_removes_an_eig_but_never_a_defi_s_last_one(client, world):
    convention = world.convention
    client.force_login(world.staff)
    first, second = convention.lines.order_by("rank")
    data = {f"line-{line.pk}-salary_band": line.salary_band_id for line in (first, second)}

    response = client.post(
        _url("convention_update", convention), {**data, f"line-{second.pk}-remove": "on"}
    )

    assert response.status_code == 302
    version = _current(convention)
    assert (version.number, version.eig_count, version.cofinancing) == (
        1,
        1,
        Decimal("20000.00"),
    )
    assert list(convention.lines.values_list("pk", flat=True)) == [first.pk]

    response = client.post(
        _url("convention_update", convention),
        {f"line-{first.pk}-salary_band": first.salary_band_id, f"line-{first.pk}-remove": "on"},
        follow=True,
    )

    assert "« Gallica augmentée » n'en aurait plus" in _text(response)
    assert convention.lines.count() == 1
    assert _current(convention).eig_count == 1


def test_an_avenant_is_masculine_and_the_signatory_takes_an_article(
    client, world, django_capture_on_commit_callbacks
):
    convention, staff = world.convention, world.staff
    ConventionVersion.objects.filter(convention=convention).update(
        state=State.IN_FORCE, in_force_on=datetime.date(2023, 1, 16)
    )
    line = convention.lines.get(rank=2)
    with django_capture_on_commit_callbacks(execute=True):
        amendments.convention_update(
            convention=convention,
            actor=staff,
            lines={line.pk: {"salary_band": line.salary_band_id, "remove": True}},
            reason="Un poste n'a pas été pourvu.",
        )
    avenant = _current(convention)
    client.force_login(staff)

    page = _text(client.get(_url("convention_detail", convention)))
    with django_capture_on_commit_callbacks(execute=True):
        sent = _text(client.post(_url("version_send", convention, avenant), follow=True))

    assert "Signature de l'avenant n° 1" in page
    assert "Le PDF de l'avenant n° 1 est prêt" in page
    assert (
        "L'avenant n° 1 est envoyé pour signature à l'administration signataire "
        "(Ministère de la Culture)"
    ) in sent
    assert "L’administration signataire (Ministère de la Culture) signe la convention" in sent
    assert "Signature de l'avenant n° 1" in sent
    assert "pour signature l'avenant n° 1 de la" in mail.outbox[-1].body
    for text in (page, sent, mail.outbox[-1].body):
        assert "la avenant" not in text.lower()
        assert "de la avenant" not in text.lower()


def test_countersign_step_names_the_administration_with_an_article(
    client, world, django_capture_on_commit_callbacks
):
    _signed(world, django_capture_on_commit_callbacks)
    client.force_login(world.staff)

    page = _text(client.get(_url("convention_detail", world.convention)))

    assert (
        "L’administration signataire (Ministère de la Culture) a signé : la DINUM contresigne."
        in (page)
    )
    assert "Signature de la convention initiale" in page


def test_update_refuses_an_overlong_reason_in_french(
    client, world, django_capture_on_commit_callbacks
):
    version = _sent(world, django_capture_on_commit_callbacks)
    convention = world.convention
    client.force_login(world.staff)
    lines = list(convention.lines.order_by("rank"))
    lower = world.promotion.salary_bands.get(min_years=0)
    data = {f"line-{line.pk}-salary_band": lower.pk for line in lines}
    data["reason"] = "é" * 1_000_000

    response = client.post(_url("convention_update", convention), data)

    assert response.status_code == 400
    assert "1000 caractères au plus (vous en avez saisi 1000000)." in _text(response)
    assert list(convention.versions.values_list("pk", "state")) == [(version.pk, State.SENT)]


def test_update_refuses_a_line_break_in_a_signatory(client, world):
    convention = world.convention
    client.force_login(world.staff)
    lines = list(convention.lines.order_by("rank"))

    response = client.post(
        _url("convention_update", convention),
        {
            **{f"line-{line.pk}-salary_band": line.salary_band_id for line in lines},
            "signatory": "La secrétaire générale,\r\nClaire Dupont",
            "dinum_signatory": "Le directeur, Jean Martin",
        },
    )

    assert response.status_code == 400
    assert "Retirez le retour chariot (U+000D)" in _text(response)
    convention.refresh_from_db()
    assert convention.signatory != "La secrétaire générale,\r\nClaire Dupont"


def test_a_request_over_the_text_limit_gets_a_french_400(client, world):
    # 3 Mo of text: over DATA_UPLOAD_MAX_MEMORY_SIZE, refused before any form reads it.
    client.force_login(world.staff)

    response = client.post(
        _url("convention_update", world.convention),
        "reason=" + "x" * (3 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "Un texte trop long (plus de 2 Mo)" in _text(response)


# --- Signatories ------------------------------------------------------------------------------


def test_staff_page_says_why_a_convention_cannot_be_sent(
    client, django_capture_on_commit_callbacks
):
    promotion = funded_promotion("6")
    signatory = ministry(name="Ministère de la Culture")
    selected_defi(promotion, signatory, positions=1)
    staff = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        convention = preparation.convention_prepare(
            promotion=promotion, administration=signatory, actor=staff
        )
    client.force_login(staff)

    page = _text(client.get(_url("convention_detail", convention)))
    response = client.post(_url("version_send", convention, _current(convention)), follow=True)

    assert (
        "Envoi impossible : indiquez le signataire pour l'administration et le signataire "
        "pour la DINUM" in page
    )
    assert 'action="' + _url("version_send", convention, _current(convention)) not in page
    assert "Indiquez le signataire pour l'administration" in _text(response)
    assert _current(convention).state == State.DRAFT
    # Nobody of the administration is named signatory: staff are told.
    assert "Le ministère de la Culture n’a aucun signataire" in page


def test_staff_page_names_no_missing_signatory_once_named(client, world):
    client.force_login(world.staff)

    page = _text(client.get(_url("convention_detail", world.convention)))

    assert "Envoi impossible" not in page
    assert "aucun signataire" not in page


def test_my_conventions_shows_what_to_sign_to_signatories_only(
    client, world, django_capture_on_commit_callbacks
):
    _sent(world, django_capture_on_commit_callbacks)
    member = AgentFactory(administration=world.signatory)

    client.force_login(member)
    assert client.get(reverse("funding:my_conventions")).context["to_sign"] == 0
    client.force_login(world.signatory_agent)
    assert client.get(reverse("funding:my_conventions")).context["to_sign"] == 1
