import datetime
import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from pypdf import PdfReader

from eig.programme.models import SalaryBand
from funding.models import ConventionVersion
from funding.pdf import convention_version_context, convention_version_render
from funding.services import amendments, preparation, signatures
from tests.factories import (
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


def _prepare(promotion, administration):
    return preparation.convention_prepare(
        promotion=promotion, administration=administration, actor=StaffFactory()
    )


def _render(version):
    # In tests the render task queued on commit never runs: render in place, as it would.
    return convention_version_render(version_id=version.pk)


def _read(version) -> bytes:
    with version.pdf.open("rb") as handle:
        return handle.read()


def _text(version) -> str:
    """The PDF's text, with French typography's no-break spaces as plain spaces."""
    reader = PdfReader(io.BytesIO(_read(version)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _flat(text: str) -> str:
    """Prose without its line breaks, for sentences the page wraps."""
    return " ".join(text.split())


def _band(promotion, min_years):
    return SalaryBand.objects.get(promotion=promotion, min_years=min_years)


def _culture():
    return ministry(name="Ministère de la Culture", town="Paris", budget_programme="361")


# --- What the convention says ----------------------------------------------------------------


def test_p6_convention_states_parties_defis_and_flat_rate_amounts():
    promotion = funded_promotion("6", year=2022)
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2, title="Archives ouvertes")

    convention = _prepare(promotion, signatory)
    text = _text(_render(convention.versions.get()))

    assert "Convention de financement 2022" in text
    assert f"Référence {convention.reference} — version 1" in text
    assert "La Direction interministérielle du numérique (DINUM)" in text
    assert "20 avenue de Ségur – TSA 30719 – 75334 Paris Cedex 07" in text
    assert "Ministère de la Culture, Paris" in text
    assert "programme budgétaire 361" in text
    assert "« Archives ouvertes » : 2 EIG." in text
    # Article 2: the promotion's dates, in French.
    assert "du 12 septembre 2022 au 11 juillet 2023" in text
    # Article 4: each EIG at the highest band, the flat rate, the totals.
    assert text.count("4 000,00 € 5 063,29 € 6 936,71 € 10 69 367,10 € 20 000,00 €") == 2
    assert "Total du défi (2 EIG) 138 734,20 € 40 000,00 €" in text
    assert "Montant pris en charge par la DINUM 40 000,00 €" in text
    assert "Reste à la charge de l'administration lauréate 98 734,20 €" in text
    assert "forfait de 20 000,00 € par EIG, dans la limite de son coût." in text
    assert "Coût total employeur = coût mensuel × 10 mois de contrat." in text
    assert (
        "transfert de crédits de titre 2 du programme 352 – Fonds pour l'accélération des "
        "start-up d'État vers le programme 361, pour un montant de 40 000,00 €"
    ) in _flat(text)
    assert "le transfert suivant est minoré du trop-" in text
    assert "Article 6. Publication du décret de transfert" in text
    assert "Article 8. Résiliation de la convention" in text
    assert "préavis d'un mois" in text
    assert "Fait à Paris en deux exemplaires" in text


def test_defi_of_an_operator_names_its_porteur_operationnel():
    promotion = funded_promotion("6")
    parent = _culture()
    selected_defi(promotion, parent, positions=2, title="Archives ouvertes")
    operator = operator_of(parent, name="Bibliothèque nationale de France")
    selected_defi(promotion, operator, positions=3, title="Lecture publique")

    text = _text(_render(_prepare(promotion, parent).versions.get()))

    assert "Défi « Archives ouvertes »\n" in text
    assert (
        "Défi « Lecture publique » — porteur opérationnel : Bibliothèque nationale de France"
        in (text)
    )
    assert "« Lecture publique », porté par la Bibliothèque nationale de France" in _flat(text)
    assert "Total du défi (3 EIG) 208 101,30 € 60 000,00 €" in text
    assert "Nombre d'EIG 5" in text
    assert "Montant pris en charge par la DINUM 100 000,00 €" in text


def test_p3_convention_states_the_70_percent_share_paid_by_the_pia():
    promotion = funded_promotion("3")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2, title="Archives ouvertes")

    text = _text(_render(_prepare(promotion, signatory).versions.get()))

    assert text.count("69 367,10 € 48 556,97 €") == 2
    assert "Total du défi (2 EIG) 138 734,20 € 97 113,94 €" in text
    assert "70 % du coût total employeur." in text
    assert "Programme d'investissements d'avenir (PIA)" in text
    # No decree moves PIA money: no transfer article, and the articles follow on.
    assert "décret de transfert" not in text
    assert "Article 6. Modification de la convention" in text
    assert "le versement suivant est minoré du trop-" in text
    assert "conclus au fil des recrutements" in text


def test_p4_dates_say_premier_for_the_first_of_the_month():
    promotion = funded_promotion("4")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2)

    text = _text(_render(_prepare(promotion, signatory).versions.get()))

    assert "du 1er septembre 2020 au 30 juin 2021" in text
    assert text.count("69 367,10 € 27 746,84 €") == 2


def test_p7_partnership_states_dinum_pays_everything_under_mission_letters():
    promotion = funded_promotion("7", year=2024)
    partner = _culture()
    selected_defi(promotion, partner, positions=2, title="Archives ouvertes")
    convention = _prepare(promotion, partner)
    first = convention.lines.order_by("rank").first()

    version = amendments.convention_update(
        convention=convention,
        actor=StaffFactory(),
        lines={first.pk: {"salary_band": _band(promotion, 0).pk, "work_time": 100}},
    )
    text = _text(_render(version))

    assert "Convention de partenariat 2024" in text
    assert "Convention de financement" not in text
    assert "« l'administration partenaire »" in text
    assert "contrat de projet de 12 mois, renouvelable" in text
    assert "par lettre de mission" in text
    assert "Seuil 1 : moins de 10 ans d'expérience : 4 250,00 € nets par mois, part variable" in (
        text
    )
    # Seuil 1: 4 250 × 1,06 = 4 505,00 net → 7 812,47 a month → 93 749,64 over 12 months.
    assert "4 505,00 € 5 702,53 € 7 812,47 € 12 93 749,64 € 93 749,64 €" in text
    assert "5 500,00 € 6 962,03 € 9 537,98 € 12 114 455,76 € 114 455,76 €" in text
    assert "Montant pris en charge par la DINUM 208 205,40 €" in text
    assert "Reste à la charge de l'administration partenaire 0,00 €" in text
    assert "aucune somme n'est due par celle-ci" in text
    assert "sa lettre de mission prend fin à la même date et la DINUM cesse de le rémunérer" in (
        _flat(text)
    )
    assert "décret de transfert" not in text
    assert "conclus au fil des recrutements" in text


def test_signatories_appear_in_the_parties_and_signature_blocks():
    promotion = funded_promotion("6")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2)
    convention = _prepare(promotion, signatory)

    version = amendments.convention_update(
        convention=convention,
        actor=StaffFactory(),
        signatory="Mme Claire Martin, secrétaire générale",
        dinum_signatory="M. Paul Durand, directeur interministériel du numérique",
    )
    text = _text(_render(version))

    assert _flat(text).count("Mme Claire Martin, secrétaire générale") == 2
    assert _flat(text).count("M. Paul Durand, directeur interministériel du numérique") == 2


# --- The file ------------------------------------------------------------------------------


def test_pdf_embeds_marianne_is_tagged_and_french():
    promotion = funded_promotion("6")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2)
    version = _render(_prepare(promotion, signatory).versions.get())

    reader = PdfReader(io.BytesIO(_read(version)))

    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("Marianne" in font for font in fonts)
    assert any("Marianne-Bold" in font for font in fonts)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert (
        reader.metadata.title
        == f"Convention de financement {promotion.year} — {version.convention.reference}"
    )
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} sur {len(reader.pages)}" in last


def test_render_stores_the_file_with_its_checksum_and_is_idempotent():
    promotion = funded_promotion("6")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2)
    convention = _prepare(promotion, signatory)
    now = datetime.datetime(2022, 10, 3, 9, 30, tzinfo=datetime.UTC)

    version = convention_version_render(version_id=convention.versions.get().pk, now=now)

    content = _read(version)
    assert content.startswith(b"%PDF-")
    assert version.pdf.name == f"conventions/{convention.reference}-v1.pdf"
    assert version.checksum == hashlib.sha256(content).hexdigest()
    assert version.rendered_at == now

    again = convention_version_render(version_id=version.pk)

    assert (again.pdf.name, again.checksum, again.rendered_at) == (
        version.pdf.name,
        version.checksum,
        now,
    )
    assert _read(again) == content
    assert [path.name for path in _files(version)] == [f"{convention.reference}-v1.pdf"]


def _files(version):
    return sorted(p for p in Path(version.pdf.storage.path("conventions")).iterdir() if p.is_file())


def test_draft_rewritten_in_place_is_rendered_again_with_the_new_amounts():
    promotion = funded_promotion("6")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2)
    convention = _prepare(promotion, signatory)
    first = _render(convention.versions.get())
    old_checksum = first.checksum
    line = convention.lines.order_by("rank").first()

    version = amendments.convention_update(
        convention=convention,
        actor=StaffFactory(),
        lines={line.pk: {"salary_band": _band(promotion, 0).pk, "work_time": 100}},
    )
    assert (version.pk, version.rendered_at, version.pdf.name) == (first.pk, None, first.pdf.name)
    version = _render(version)

    text = _text(version)
    # 3 500 net → 6 069,62 a month → 60 696,20 over 10 months.
    assert "3 500,00 € 4 430,38 € 6 069,62 € 10 60 696,20 € 20 000,00 €" in text
    assert "Total du défi (2 EIG) 130 063,30 € 40 000,00 €" in text
    assert version.pdf.name == first.pdf.name
    assert version.checksum == hashlib.sha256(_read(version)).hexdigest() != old_checksum
    assert [path.name for path in _files(version)] == [f"{convention.reference}-v1.pdf"]


def test_avenant_states_its_reason_and_previous_amounts_and_old_versions_keep_their_files():
    promotion = funded_promotion("5", year=2021)
    signatory = _culture()
    selected_defi(promotion, signatory, positions=2, title="Archives ouvertes")
    staff, agent = StaffFactory(), SignatoryAgentFactory(administration=signatory)
    convention = _prepare(promotion, signatory)
    name_signatories(convention, staff)
    initial = _render(convention.versions.get())
    initial_checksum = initial.checksum
    signatures.convention_version_send(version=initial, actor=staff)
    upload = SimpleUploadedFile("signee.pdf", pdf_bytes(2), content_type="application/pdf")
    signatures.convention_version_sign_admin(version=initial, actor=agent, upload=upload)
    signatures.convention_version_sign_dinum(version=initial, actor=staff)
    signatures.convention_version_enter_into_force(
        version=initial, actor=staff, on=datetime.date(2021, 11, 15)
    )
    line = convention.lines.order_by("rank").first()

    avenant = amendments.convention_update(
        convention=convention,
        actor=staff,
        lines={line.pk: {"salary_band": _band(promotion, 0).pk, "work_time": 100}},
        reason="Le premier EIG recruté a moins de cinq ans d'expérience.",
    )
    avenant = _render(avenant)
    text = _text(avenant)

    assert (avenant.number, avenant.amendment) == (2, 1)
    assert "Avenant n° 1 à la convention de financement 2021" in text
    assert f"Référence {convention.reference} — avenant n° 1 (version 2)" in text
    assert "Le premier EIG recruté a moins de cinq ans d'expérience." in text
    assert "Il remplace l'article 4 « Modalités financières » de la convention" in _flat(text)
    # Before: 2 × 69 367,10 and 2 × 3 months of 6 936,71. After: one EIG at 3 500 net,
    # 60 696,20 and 3 months of 6 069,62.
    assert "Coût total employeur 138 734,20 € 130 063,30 €" in text
    assert "Montant pris en charge par la DINUM 41 620,26 € 39 018,99 €" in text
    assert "3 500,00 € 4 430,38 € 6 069,62 € 10 60 696,20 € 18 208,86 €" in text
    assert "Article 2. Nouvel article 4 « Modalités financières »" in text
    assert "\nArticle 4. Modalités financières\n" in text
    assert "\nEIG financés\n" in text
    assert "Les autres stipulations de la convention demeurent inchangées." in _flat(text)
    assert avenant.pdf.name == f"conventions/{convention.reference}-v2.pdf"

    initial.refresh_from_db()
    # In force until the avenant is: it keeps its text and its file.
    assert initial.state == State.IN_FORCE
    assert initial.pdf.name == f"conventions/{convention.reference}-v1.pdf"
    assert initial.checksum == initial_checksum == hashlib.sha256(_read(initial)).hexdigest()
    assert "Avenant" not in _text(initial)
    assert [path.name for path in _files(avenant)] == [
        f"{convention.reference}-v1.pdf",
        f"{convention.reference}-v2.pdf",
    ]


def test_a_draft_without_signatories_never_reads_represented_by_a_comma():
    promotion = funded_promotion("6")
    signatory = _culture()
    selected_defi(promotion, signatory, positions=1)

    text = _flat(_text(_render(_prepare(promotion, signatory).versions.get())))

    assert "représentée par ," not in text
    assert text.count("représentée par signataire à désigner") == 2


def test_convention_snapshots_the_article_of_the_administration():
    promotion = funded_promotion("6", year=2022)
    signatory = _culture()
    selected_defi(promotion, signatory, positions=1)

    version = _prepare(promotion, signatory).versions.get()
    html = render_to_string("funding/convention_pdf.html", convention_version_context(version))

    assert version.content["administration"]["article"] == "le"
    assert "entre la DINUM et le ministère de la Culture, référence" in html
