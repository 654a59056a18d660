"""The candidates' side of the demo (`manage.py load_demo`): a first session of the call for
candidates of promotion 8, closed, so that staff can try what starts at a call's closing —
ranking, pre-selection, interviews, deliberation — while the demo candidate still applies to
the open call.

Its applicants are invented (`demo_applications.json`: common names drawn with a fixed
seed, addresses on example.org, which reaches nobody, phone numbers in the range ARCEP keeps
for fiction), across the métiers its positions seek. Their applications go through the
candidates' services, dated as if written while the call was open, so that history and the
search index are filled as the site fills them; only the mails are left out. Its jury, on
the real grid of promotion 7's pre-selection, is at work: most evaluations submitted, some
waiting, a few applications pre-selected and invited to book an interview, one booked.
"""

import dataclasses
import datetime
import io
import json
import random
import textwrap
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

from candidates import services
from candidates.jury import CANDIDATE_JURY
from candidates.models import Application, ApplicationEvaluation, CandidateCall
from candidates.sections import SECTIONS_BY_KEY
from candidates.selectors import call_positions
from eig.accounts.models import Role, User
from eig.jury.bookings import slot_book
from eig.jury.hearings import hearing_slot_create, jury_group_create
from eig.jury.models import HearingSlot, Jury, JuryMember
from eig.jury.presets import jury_apply_preset
from eig.jury.selectors import jury_ranking
from eig.jury.services import evaluation_save, jury_assign
from eig.jury.shortlist import review_shortlist
from eig.programme.models import Promotion, Specialty
from eig.text import fold

PARIS = ZoneInfo("Europe/Paris")
DATA = Path(__file__).with_name("demo_applications.json")
SESSION_SLUG = "aac-eig-8-session-1"
SEED = 8
EMAIL_DOMAIN = "example.org"
# The candidates' jurors, who log in with the demo password (see load_demo's ACCOUNTS), and
# the métiers each one judges: the assignment gives each application to its métier's
# experts where the loads allow it.
JURORS = {
    "jure.candidatures@demo.eig.fr": [Specialty.DEVELOPMENT, Specialty.DATA_ENGINEERING],
    "jure.design@demo.eig.fr": [Specialty.DESIGN],
    "jure.data@demo.eig.fr": [Specialty.DATA_SCIENCE, Specialty.DATA_ENGINEERING],
    "jure.produit@demo.eig.fr": [Specialty.DESIGN, Specialty.DEVELOPMENT],
}
# The interviews: each group hears the métiers of its jurors, on two half-days.
GROUPS = [
    (
        "Entretiens développement et données",
        ["jure.candidatures@demo.eig.fr", "jure.data@demo.eig.fr"],
    ),
    ("Entretiens design", ["jure.design@demo.eig.fr", "jure.produit@demo.eig.fr"]),
]
ROOM = "DINUM, 20 avenue de Ségur, Paris 7e – salle 4.12"
VIDEO = "https://webinaire.numerique.gouv.fr/eig-8-entretiens"
# Pre-selected per métier, about a third of the applications before the jury, as in 2022
# (103 of 300): they are invited to book their interview.
PRESELECTED = {
    Specialty.DEVELOPMENT: 4,
    Specialty.DESIGN: 3,
    Specialty.DATA_SCIENCE: 2,
    Specialty.DATA_ENGINEERING: 2,
}
# Applications left as drafts at the closing, and submitted then withdrawn.
DRAFTS, WITHDRAWN = 3, 3
# Evaluations each juror still has to submit.
WAITING_PER_JUROR = 3


@dataclass
class Applicant:
    """An invented person and the application they write."""

    index: int
    first_name: str
    last_name: str
    email: str
    civility: str
    specialty: str
    years: int
    birth_year: int
    phone: str
    employer: str
    mobility: str
    available_offset: int  # days from the promotion's start
    consent: bool
    level: float  # how strong the dossier is, 0 to 1: what the jurors' scores follow
    texts: dict[str, str] = field(default_factory=dict)
    website_url: str = ""
    fate: str = "submitted"  # or "draft", "withdrawn"
    # A second account of the same person: the CV sent from it is the other one's file.
    same_cv_as: int | None = None


@cache
def _data() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return "".join(c for c in plain.lower() if c.isalnum() or c in ".-")


def demo_applicants(year: int) -> list[Applicant]:
    """The applicants of the closed session, the same ones at every run (a fixed seed;
    birth years follow `year`, so that ages stay plausible as the demo ages):
    each métier's count from the data file, then two people who applied twice (same name,
    birth year and phone; the same CV file under a first name typed without its accent), so
    that the possible duplicates show to staff."""
    data = _data()
    rng = random.Random(SEED)
    taken: set[tuple[str, str]] = set()
    applicants = []
    specialties = [
        specialty for specialty, spec in data["specialties"].items() for _ in range(spec["count"])
    ]
    rng.shuffle(specialties)
    for index, specialty in enumerate(specialties):
        spec = data["specialties"][specialty]
        gender = rng.choice("fm")
        while True:
            first = rng.choice(data["first_names"][gender])
            last = rng.choice(data["last_names"])
            if (first, last) not in taken:
                taken.add((first, last))
                break
        years = rng.randint(*spec["years"])
        agreement = "e" if gender == "f" else ""

        def pick(texts, rng=rng, years=years, agreement=agreement):
            return rng.choice(texts).format(years=years, e=agreement)

        motivation = pick(data["motivation"])
        closing = pick(data["motivation_specialty"][specialty])
        applicant = Applicant(
            index=index,
            first_name=first,
            last_name=last,
            email=f"{_ascii(first)}.{_ascii(last)}@{EMAIL_DOMAIN}",
            civility=(
                Application.Civility.UNSAID
                if rng.random() < 0.1
                else Application.Civility.MADAME
                if gender == "f"
                else Application.Civility.MONSIEUR
            ),
            specialty=specialty,
            years=years,
            birth_year=year - 23 - years - rng.randint(0, 8),
            phone=f"06 39 98 {10 + index // 100:02d} {index % 100:02d}",
            employer=rng.choice(data["employers"]),
            mobility=rng.choices(
                [
                    Application.Mobility.FRANCE,
                    Application.Mobility.REGION,
                    Application.Mobility.LOCAL,
                ],
                weights=[5, 3, 2],
            )[0],
            available_offset=rng.choice([-60, -30, 0, 0, 0, 14]),
            consent=rng.random() < 0.7,
            level=round(rng.uniform(0.15, 0.95), 2),
            texts={
                "presentation": pick(spec["presentation"]),
                "skills_main": pick(spec["skills_main"]),
                "skills_secondary": pick(spec["skills_secondary"]),
                "experience_specialty": pick(spec["experience_specialty"]),
                "experience_entrepreneurship": pick(data["experience_entrepreneurship"]),
                "motivation": f"{motivation} {closing}",
            },
        )
        if specialty == Specialty.DESIGN and rng.random() < 0.5:
            applicant.website_url = f"https://{_ascii(first)}-{_ascii(last)}.{EMAIL_DOMAIN}/"
        applicants.append(applicant)
    others = rng.sample(range(len(applicants)), DRAFTS + WITHDRAWN)
    for position, index in enumerate(others):
        applicants[index].fate = "draft" if position < DRAFTS else "withdrawn"
    in_running = [a for a in applicants if a.fate == "submitted"]
    # The same person from a second account: same name, birth year and phone.
    twice = in_running[5]
    applicants.append(
        _copy(
            twice,
            index=len(applicants),
            email=f"{_ascii(twice.first_name)[0]}{_ascii(twice.last_name)}.pro@{EMAIL_DOMAIN}",
        )
    )
    # The same CV file sent again under the first name typed without its accent.
    accented = next(a for a in in_running if _ascii(a.first_name) != a.first_name.lower())
    applicants.append(
        _copy(
            accented,
            index=len(applicants),
            first_name=fold(accented.first_name).capitalize(),
            email=f"{_ascii(accented.first_name)}{_ascii(accented.last_name)}@{EMAIL_DOMAIN}",
            phone=f"06 39 98 99 {len(applicants) % 100:02d}",
            same_cv_as=accented.index,
        )
    )
    return applicants


def _copy(applicant: Applicant, **changes) -> Applicant:
    return dataclasses.replace(applicant, texts=dict(applicant.texts), **changes)


# --- CVs ------------------------------------------------------------------------------------


def _pdf_text(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def cv_pdf(applicant: Applicant, *, anonymised: bool = False) -> bytes:
    """A one-page CV in PDF: name and contact details (left out of the anonymised one),
    métier, experience and skills, marked as invented."""
    lines = ["Curriculum vitae", ""]
    if anonymised:
        lines += ["Candidature anonymisée (nom et coordonnées retirés)", ""]
    else:
        lines += [f"{applicant.first_name} {applicant.last_name}", applicant.email, applicant.phone]
        lines.append("")
    lines.append(f"{Specialty(applicant.specialty).label} – {applicant.years} ans d'expérience")
    lines.append("")
    for title, key in (("Compétences", "skills_main"), ("Expérience", "experience_specialty")):
        lines.append(title)
        lines += textwrap.wrap(applicant.texts[key], 95)
        lines.append("")
    lines.append("Document de démonstration : personne et parcours inventés.")
    operations = ["BT", "/F1 10 Tf", "14 TL", "56 790 Td"]
    operations += [f"({_pdf_text(line)}) Tj T*" for line in lines]
    operations.append("ET")
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    content = StreamObject()
    content.set_data("\n".join(operations).encode("cp1252", errors="replace"))
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- The session ----------------------------------------------------------------------------


def _paris(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def _weekday_on_or_after(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def candidate_session_load(
    *, promotion: Promotion, staff: User, jurors: dict[str, User], now: datetime.datetime
) -> CandidateCall:
    """The closed first session of promotion 8's call for candidates, with its applications
    and its jury; built once (run again, it is left as it is, like the défis' second
    session)."""
    today = now.astimezone(PARIS).date()
    call, created = CandidateCall.objects.get_or_create(
        slug=SESSION_SLUG,
        defaults={
            "promotion": promotion,
            "title": "Appel à candidatures EIG 8 – première session",
            "description": "Première session de démonstration, close : son jury examine les "
            "candidatures, présélectionne et fait passer les entretiens.",
            "opens_at": _paris(today - datetime.timedelta(days=75), 9),
            "closes_at": _paris(today - datetime.timedelta(days=40), 23, 59),
            "wishes_timing": CandidateCall.WishesTiming.WITH_APPLICATION,
            "anonymous": True,
        },
    )
    if not created:
        return call
    applicants = demo_applicants(today.year)
    applications = _applications(call, applicants, promotion)
    jury = _jury(call, staff, jurors, now)
    levels = {applications[applicant.index].pk: applicant.level for applicant in applicants}
    _evaluations(jury, levels, now)
    preselected = _preselection(jury, staff, now)
    _interviews(jury, jurors, preselected, now)
    return call


def _candidates(applicants: list[Applicant]) -> dict[str, User]:
    """Their accounts, without password: nobody logs in as an invented person. Written in
    one query: an account's creation has no history to keep."""
    emails = [applicant.email for applicant in applicants]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        User(
            email=applicant.email,
            password=make_password(None),
            first_name=applicant.first_name,
            last_name=applicant.last_name,
            roles=[Role.CANDIDATE],
        )
        for applicant in applicants
        if applicant.email not in existing
    )
    return {user.email: user for user in User.objects.filter(email__in=emails)}


def _applications(
    call: CandidateCall, applicants: list[Applicant], promotion: Promotion
) -> dict[int, Application]:
    """Each applicant writes their application section by section while the call is open,
    ranks 3 to 5 wishes among the positions of their métier and submits it (or leaves a
    draft, or withdraws after submitting), through the services, at the dates the history
    tells."""
    rng = random.Random(SEED + 1)
    users = _candidates(applicants)
    positions: dict[str, list[int]] = {}
    for pk, specialty in (
        call_positions(call).order_by("defi__title", "rank").values_list("pk", "specialty")
    ):
        positions.setdefault(specialty, []).append(pk)
    cvs: dict[int, bytes] = {}
    notes = _data()["withdrawal_notes"]
    applications, dates = {}, {}
    for applicant in applicants:
        user = users[applicant.email]
        started = call.opens_at + datetime.timedelta(
            days=rng.randint(1, 28), hours=rng.randint(0, 10), minutes=rng.randint(0, 59)
        )
        at = started
        application = services.application_start(call=call, candidate=user, now=at)
        cv = cvs.setdefault(applicant.index, cv_pdf(applicant))
        if applicant.same_cv_as is not None:
            cv = cvs[applicant.same_cv_as]
        sections = {
            "presentation": {
                "presentation": applicant.texts["presentation"],
                "cv": SimpleUploadedFile("cv.pdf", cv, content_type="application/pdf"),
                "cv_anonymised": SimpleUploadedFile(
                    "cv-anonymise.pdf",
                    cv_pdf(applicant, anonymised=True),
                    content_type="application/pdf",
                ),
                "website_url": applicant.website_url,
            },
            "competences": {
                "specialty": applicant.specialty,
                "skills_main": applicant.texts["skills_main"],
                "skills_secondary": applicant.texts["skills_secondary"],
            },
            "experience": {
                "years_experience": applicant.years,
                "experience_specialty": applicant.texts["experience_specialty"],
                "experience_entrepreneurship": applicant.texts["experience_entrepreneurship"],
            },
            "motivation": {"motivation": applicant.texts["motivation"]},
            "informations": {
                "civility": applicant.civility,
                "phone": applicant.phone,
                "employer": applicant.employer,
                "birth_year": applicant.birth_year,
                "mobility": applicant.mobility,
                "available_on": promotion.mission_start
                + datetime.timedelta(days=applicant.available_offset),
                "talent_pool_consent": applicant.consent,
            },
        }
        # A draft at the closing has only its first sections written.
        keys = list(sections)[:3] if applicant.fate == "draft" else list(sections)
        for key in keys:
            at += datetime.timedelta(minutes=rng.randint(5, 40))
            application = services.application_update_section(
                application=application,
                actor=user,
                section=SECTIONS_BY_KEY[key],
                data=sections[key],
                now=at,
            )
        applications[applicant.index] = application
        dates[applicant.index] = (started, at)
        if applicant.fate == "draft":
            continue
        sought = positions[applicant.specialty]
        wishes = rng.sample(sought, rng.randint(3, min(5, len(sought))))
        services.application_set_wishes(
            application=application, actor=user, position_ids=wishes, now=at
        )
        submitted = min(
            at + datetime.timedelta(days=rng.randint(0, 5), hours=rng.randint(1, 8)),
            call.closes_at - datetime.timedelta(hours=2),
        )
        application = services.application_submit(
            application=application, actor=user, now=submitted, notify=False
        )
        dates[applicant.index] = (started, submitted)
        if applicant.fate == "withdrawn":
            withdrawn = submitted + datetime.timedelta(days=rng.randint(2, 12))
            application = services.application_withdraw(
                application=application,
                actor=user,
                note=notes[applicant.index % len(notes)],
                now=withdrawn,
                notify=False,
            )
            dates[applicant.index] = (started, withdrawn)
        applications[applicant.index] = application
    # The rows' own dates, as their history tells them.
    for index, (created_at, updated_at) in dates.items():
        Application.objects.filter(pk=applications[index].pk).update(
            created_at=created_at, updated_at=updated_at
        )
    return applications


def _jury(
    call: CandidateCall, staff: User, jurors: dict[str, User], now: datetime.datetime
) -> Jury:
    """The session's jury on the pre-selection grid of promotion 7, two jurors per
    application (as the défis' demo juries), scoring still open for ten days; its
    applications assigned the day after the closing.

    One stage, the written dossier, on whose reviews the interviews are booked too: the
    staff's pre-selection and hearings pages read a jury's first stage, so with an
    interview stage staff could neither invite candidates to it nor see its bookings in
    the hearings' table. Add it (`jury_stage_add`, preset « candidats-p7-entretien ») once
    those pages follow the stages, as the deliberation does."""
    today = now.astimezone(PARIS).date()
    jury = Jury.objects.create(
        name="Jury des candidatures EIG 8 – première session",
        domain=CANDIDATE_JURY.key,
        jurors_per_dossier=2,
        score_visibility=Jury.Visibility.AFTER_OWN,
        scoring_deadline=_paris(today + datetime.timedelta(days=10), 23, 59),
    )
    jury_apply_preset(jury=jury, key="candidats-p7-dossier")
    call.jury = jury
    call.save(update_fields=["jury"])
    JuryMember.objects.bulk_create(
        JuryMember(jury=jury, user=jurors[email], expertise=expertise)
        for email, expertise in JURORS.items()
    )
    jury_assign(
        domain=CANDIDATE_JURY,
        jury=jury,
        actor=staff,
        now=call.closes_at + datetime.timedelta(days=1, hours=10),
    )
    return jury


def _evaluations(jury: Jury, levels: dict[int, float], now: datetime.datetime) -> None:
    """The jurors score along each dossier's level, each with a slight bias of their own,
    over the weeks after the closing; each keeps their last `WAITING_PER_JUROR` evaluations
    to do, so that their dashboard shows work waiting."""
    rng = random.Random(SEED + 2)
    criteria = list(jury.criteria.order_by("position"))
    comments = _data()["comments"]
    assigned = ApplicationEvaluation.objects.filter(member__jury=jury).select_related(
        "member__user"
    )
    by_member: dict[int, list[ApplicationEvaluation]] = {}
    for evaluation in assigned.order_by("member_id", "application_id"):
        by_member.setdefault(evaluation.member_id, []).append(evaluation)
    start = jury.candidate_call.closes_at + datetime.timedelta(days=3)
    for evaluations in by_member.values():
        bias = rng.uniform(-0.5, 0.5)
        for number, evaluation in enumerate(evaluations[:-WAITING_PER_JUROR]):
            level = levels[evaluation.application_id]
            scores = {
                criterion.pk: (
                    max(
                        criterion.scale_min,
                        min(
                            criterion.scale_max,
                            round(level * criterion.scale_max + bias + rng.gauss(0, 0.6)),
                        ),
                    ),
                    "",
                )
                for criterion in criteria
            }
            mean = round(sum(value for value, _c in scores.values()) / len(scores))
            evaluation_save(
                domain=CANDIDATE_JURY,
                evaluation=evaluation,
                actor=evaluation.member.user,
                version=evaluation.version,
                scores=scores,
                overall_comment=comments[str(max(1, mean))],
                submit=True,
                now=min(start + datetime.timedelta(hours=7 * number), now),
            )


def _preselection(jury: Jury, staff: User, now: datetime.datetime) -> list[Application]:
    """Staff pre-selected, a week ago, the best-ranked applications of each métier among
    those both jurors have scored, with the questions their interview should answer: each
    is invited to book its interview."""
    at = _paris(now.astimezone(PARIS).date() - datetime.timedelta(days=6), 10)
    quotas = dict(PRESELECTED)
    questions = _data()["questions"]
    chosen = []
    for row in jury_ranking(CANDIDATE_JURY, jury, fields=("pk", "specialty")):
        if row["done"] == row["due"] and quotas.get(row["specialty"], 0) > 0:
            quotas[row["specialty"]] -= 1
            chosen.append(row["pk"])
    applications = Application.objects.select_related("candidate").in_bulk(chosen)
    for number, pk in enumerate(chosen):
        review_shortlist(
            domain=CANDIDATE_JURY,
            jury=jury,
            dossier=applications[pk],
            actor=staff,
            questions=questions[number % len(questions)],
            now=at + datetime.timedelta(minutes=4 * number),
        )
    return [applications[pk] for pk in chosen]


def _interviews(
    jury: Jury, jurors: dict[str, User], preselected: list[Application], now: datetime.datetime
) -> None:
    """Two groups of jurors, each with six half-hour slots that candidates book, in a room
    on one day and by video on the next, starting nine days from now (well before the 48
    hours' notice); the best-ranked pre-selected candidate booked theirs two days ago."""
    today = now.astimezone(PARIS).date()
    first_day = _weekday_on_or_after(today + datetime.timedelta(days=9))
    second_day = _weekday_on_or_after(first_day + datetime.timedelta(days=1))
    slots = {}
    for (name, emails), days in zip(
        GROUPS, [(first_day, second_day), (second_day, first_day)], strict=True
    ):
        members = JuryMember.objects.filter(jury=jury, user__in=[jurors[e] for e in emails])
        group = jury_group_create(jury=jury, name=name, members=members)
        for day, hour, in_room in ((days[0], 9, True), (days[1], 14, False)):
            for number in range(3):
                starts_at = _paris(day, hour, 30) + datetime.timedelta(minutes=45 * number)
                slot = hearing_slot_create(
                    jury=jury,
                    group=group,
                    starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(minutes=30),
                    location=ROOM if in_room else "",
                    video_url="" if in_room else VIDEO,
                    booking=HearingSlot.Booking.OWNER,
                )
                slots.setdefault(name, []).append(slot)
    first = preselected[0]
    group = GROUPS[1][0] if first.specialty == Specialty.DESIGN else GROUPS[0][0]
    slot_book(
        domain=CANDIDATE_JURY,
        jury=jury,
        dossier=first,
        slot=slots[group][1],
        actor=first.candidate,
        now=_paris(today - datetime.timedelta(days=2), 18, 40),
        notify=False,
    )
