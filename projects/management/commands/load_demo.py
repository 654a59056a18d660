"""`manage.py load_demo`: demo accounts, an open call for projects and two défis, so that the
platform can be tried at once, and two closed sessions of the same promotion: one already
judged (a selected défi, for the conventions), one whose jury is under way (for ranking,
pre-selection, hearings and deliberation). The promotion's call for candidates is open, with
the demo candidate's draft; a first session of it, closed, has its jury at work
(`candidates/demo.py`). Refused in production; can be run again without duplicating anything
(the open calls' dates are moved so that they stay open)."""

import datetime
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from dsfr.models import DsfrConfig
from pypdf import PdfWriter

from candidates import services as candidate_services
from candidates.demo import JURORS as CANDIDATE_JURORS
from candidates.demo import candidate_session_load
from candidates.models import CandidateCall
from candidates.sections import SECTIONS_BY_KEY as CANDIDATE_SECTIONS
from eig.accounts.models import Role, User
from eig.accounts.services import user_grant_role, user_two_factor_set
from eig.history import services as history
from eig.history.selectors import history_for
from eig.jury.hearings import hearing_slot_create, jury_group_create
from eig.jury.models import Jury, JuryMember
from eig.jury.presets import jury_apply_preset
from eig.jury.services import evaluation_save, jury_assign
from eig.programme.french import guess_article
from eig.programme.models import Administration, FundingRule, Promotion, Specialty
from eig.programme.presets import promotion_apply_funding_preset
from eig.programme.services import membership_grant
from projects import services
from projects.jury import DEFI_JURY
from projects.models import Defi, DefiEvaluation, DefiPosition, ProjectCall
from projects.reference import guess_kind
from projects.sections import SECTIONS
from projects.selectors.defis import defi_missing_sections

PARIS = ZoneInfo("Europe/Paris")
PASSWORD = "demo-eig-2026"
# The demo staff account must pass two-factor authentication, like all staff. Its secrets are
# public (README): add the secret to any authenticator app, or compute a code with Python.
DEMO_TOTP_SECRET = "EIGDEMOSTAFF2345EIGDEMOSTAFF2345"
DEMO_RECOVERY_SEED = "demo-eig-2026-codes-de-recuperation"
DINUM = "Direction interministérielle du numérique"
CULTURE = "Ministère de la Culture"
# The administrations' real mail domains: an agent who signs up with a verified address on
# one of them joins at once (the demo accounts, on demo.eig.fr, are made members here).
EMAIL_DOMAINS = {DINUM: ["numerique.gouv.fr"], CULTURE: ["culture.gouv.fr"]}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    role: str
    label: str
    administration: str = ""
    job_title: str = ""
    # Named signatory of the administration's conventions (agent.culture signs the demo's).
    signatory: bool = False


ACCOUNTS = (
    DemoAccount("staff@demo.eig.fr", "Claire", "Dumas", Role.STAFF, "équipe du programme"),
    DemoAccount(
        "agent.dinum@demo.eig.fr",
        "Karim",
        "Benali",
        Role.AGENT,
        "agent (DINUM)",
        administration=DINUM,
        job_title="Chef de projet données",
    ),
    DemoAccount(
        "agent.culture@demo.eig.fr",
        "Sophie",
        "Garnier",
        Role.AGENT,
        "agent (Ministère de la Culture)",
        administration=CULTURE,
        job_title="Cheffe du bureau de l'innovation numérique",
        signatory=True,
    ),
    DemoAccount("jure@demo.eig.fr", "Marc", "Lefèvre", Role.JUROR, "juré·e"),
    DemoAccount("jure2@demo.eig.fr", "Nathalie", "Roche", Role.JUROR, "juré·e"),
    DemoAccount(
        "candidate@demo.eig.fr",
        "Léa",
        "Moreau",
        Role.CANDIDATE,
        "candidat·e (un brouillon de candidature à l'appel EIG 8)",
    ),
    DemoAccount("coach@demo.eig.fr", "Julien", "Petit", Role.COACH, "coach"),
    # The jury of the candidates' closed session (`candidates/demo.py`), each on the métiers
    # of `JURORS` there.
    DemoAccount(
        "jure.candidatures@demo.eig.fr",
        "Agnès",
        "Tournier",
        Role.JUROR,
        "juré·e des candidatures (développement, data engineering)",
    ),
    DemoAccount(
        "jure.design@demo.eig.fr", "Rémi", "Castel", Role.JUROR, "juré·e des candidatures (design)"
    ),
    DemoAccount(
        "jure.data@demo.eig.fr",
        "Nadia",
        "Belkacem",
        Role.JUROR,
        "juré·e des candidatures (data science, data engineering)",
    ),
    DemoAccount(
        "jure.produit@demo.eig.fr",
        "Vincent",
        "Lebreton",
        Role.JUROR,
        "juré·e des candidatures (design, développement)",
    ),
)

DRAFT_TITLE = "Tableau de bord des délais de traitement"
SUBMITTED_TITLE = "Carte vivante du patrimoine"

# A draft half written: the administration and context sections, and positions whose
# missions are still to describe.
DRAFT_CONTENT = {
    "host_entity": "Département de la donnée, DINUM",
    "work_site": "Paris (75007)",
    "summary": "Donner à chaque administration une vue claire et publique des délais de "
    "traitement de ses démarches en ligne.",
    "context": "La DINUM accompagne les administrations dans la dématérialisation de leurs "
    "démarches et suit la qualité des services publics numériques.",
    "themes": "Numérique public, Transparence",
}
DRAFT_POSITIONS = [
    {"specialty": Specialty.DATA_ENGINEERING, "missions": "", "skills": ""},
    {"specialty": Specialty.DESIGN, "missions": "", "skills": ""},
]

SUBMITTED_CONTENT = {
    "host_entity": "Service du numérique, secrétariat général du ministère de la Culture",
    "partners": "Directions régionales des affaires culturelles (DRAC), Centre des monuments "
    "nationaux.",
    "work_site": "Paris (75001)",
    "requests_cofinancing": True,
    "porteur_phone": "01 40 15 80 00",
    "sponsor_name": "Hélène Marchand",
    "sponsor_job": "Secrétaire générale adjointe",
    "sponsor_email": "sponsor.culture@demo.eig.fr",
    "hr_name": "Paul Roussel",
    "hr_email": "rh.culture@demo.eig.fr",
    "finance_name": "Nadia Haddad",
    "finance_email": "gestion.culture@demo.eig.fr",
    "summary": "Rassembler dans une carte ouverte les protections, les travaux et les "
    "ouvertures au public des monuments historiques.",
    "context": "Le ministère protège plus de 45 000 monuments historiques ; les informations "
    "qui les concernent sont dispersées entre services centraux et régionaux.",
    "problem": "Propriétaires, élus et citoyens ne trouvent pas en un seul endroit l'état "
    "d'un monument, ses travaux en cours et les aides possibles. Les agents ressaisissent "
    "les mêmes informations dans plusieurs outils.",
    "themes": "Culture, Patrimoine, Open data",
    "beneficiaries": "Propriétaires de monuments, collectivités, agents des DRAC, grand public.",
    "expected_impact": "Moins de ressaisie pour les agents, des demandes d'aide mieux "
    "préparées, une information patrimoniale ouverte et réutilisable.",
    "indicators": "Nombre de fiches publiées, temps d'instruction des demandes de travaux, "
    "réutilisations des données.",
    "data_available": "Base Mérimée (ouverte), dossiers de travaux des DRAC (non ouverts, "
    "accessibles aux EIG sous convention).",
    "team": "Une cheffe de projet (50 %), deux conservateurs référents (20 %), un "
    "développeur du service du numérique (30 %).",
    "team_time": "Une demi-journée par semaine avec les EIG ; un comité mensuel avec la "
    "secrétaire générale adjointe.",
    "resources": "Hébergement sur le cloud du ministère, accès aux bases de données, postes "
    "de travail fournis dès l'arrivée.",
    "progress": "Un prototype de carte a été réalisé en interne sur une région.",
    "roadmap": "Trois mois de recherche utilisateur, puis une première version publique sur "
    "deux régions avant la fin de la mission.",
    "risks": "Qualité inégale des données régionales : un travail de normalisation est "
    "prévu dès le début.",
    "sustainability": "Le service du numérique reprendra la maintenance ; un budget est "
    "inscrit pour l'année suivante.",
    "commits_open_source": True,
    "commits_open_data": True,
    "openness": "Code publié sous licence libre, données publiées sur data.culture.gouv.fr.",
    "motivation": "Le programme nous apporte des profils rares et une méthode centrée sur "
    "les usagers que nous voulons installer durablement.",
}
SUBMITTED_POSITIONS = [
    {
        "specialty": Specialty.DEVELOPMENT,
        "missions": "Construire la carte et l'API qui l'alimente.",
        "skills": "Python, bases de données géographiques, conception d'API.",
    },
    {
        "specialty": Specialty.DESIGN,
        "missions": "Mener la recherche utilisateur et concevoir les parcours.",
        "skills": "Entretiens, prototypage, accessibilité (RGAA).",
    },
]


def _pitch_deck() -> SimpleUploadedFile:
    """A small valid one-page PDF, enough for the submission check."""
    writer = PdfWriter()
    writer.add_blank_page(width=842, height=595)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile("presentation.pdf", buffer.getvalue(), content_type="application/pdf")


SELECTED_TITLE = "Guichet unique des aides au patrimoine"
SELECTED_CONTENT = {
    "summary": "Permettre aux propriétaires de monuments de demander les aides de l'État en "
    "une seule démarche, suivie de bout en bout.",
    "problem": "Les demandes d'aide aux travaux passent par des formulaires papier différents "
    "selon les régions ; les propriétaires ne savent pas où en est leur dossier.",
}
SELECTED_POSITIONS = [
    {
        "specialty": Specialty.PRODUCT,
        "missions": "Porter la vision du guichet et piloter sa construction avec les DRAC.",
        "skills": "Direction de produit, recherche utilisateur, méthodes agiles.",
    },
    {
        "specialty": Specialty.TECHNICAL,
        "missions": "Concevoir l'architecture du guichet et son raccordement aux outils "
        "d'instruction.",
        "skills": "Architecture logicielle, API, sécurité.",
    },
    {
        "specialty": Specialty.IMPACT,
        "missions": "Mesurer l'effet du guichet sur les délais et l'accès aux aides.",
        "skills": "Évaluation, données, conduite du changement.",
    },
]


# The second session: its défis are real ones, from the call of promotion 6 (the public
# pages of each défi: administration, problem, hypothesis, ambitions); the answers the
# public pages do not give (contacts, team, data…) are demo text.
SESSION_2_SLUG = "aap-eig-8-session-2"
SESSION_2_DATA = Path(__file__).with_name("demo_session_2.json")
# The défis of the demo call for candidates, extracted from reference/eig's
# defis_appel_candidatures.json (promotion 4) and defis.json (administration, town).
CANDIDATE_DEFIS_DATA = Path(__file__).with_name("demo_candidate_defis.json")
SESSION_2_FIELDS = ("summary", "themes", "context", "problem", "roadmap", "expected_impact")
SESSION_2_PORTEURS = [
    ("Hugo", "Lambert", "Chef de la mission numérique"),
    ("Amina", "Traoré", "Responsable de l'innovation"),
    ("Thomas", "Girard", "Directeur de projet"),
    ("Julie", "Fontaine", "Cheffe de service"),
    ("Olivier", "Mercier", "Responsable des systèmes d'information"),
]
SESSION_2_CONTENT = {
    "partners": "Aucune administration partenaire à ce stade.",
    "requests_cofinancing": True,
    "porteur_phone": "01 00 00 00 00",
    "sponsor_name": "Catherine Morel",
    "sponsor_job": "Directrice générale adjointe",
    "sponsor_email": "sponsor@demo.eig.fr",
    "hr_name": "Marc Dubois",
    "hr_email": "rh@demo.eig.fr",
    "finance_name": "Sarah Lemaire",
    "finance_email": "gestion@demo.eig.fr",
    "beneficiaries": "Les agents qui instruisent ces démarches et les usagers qu'elles "
    "concernent (texte de démonstration).",
    "indicators": "Usage mensuel du service, délais de traitement, satisfaction des usagers.",
    "data_available": "Les bases de l'administration, accessibles aux EIG sous convention ; "
    "les jeux ouverts correspondants sur data.gouv.fr (texte de démonstration).",
    "team": "Un chef de projet (50 %), deux experts métier (20 %), un développeur du service "
    "informatique (30 %) (texte de démonstration).",
    "team_time": "Une demi-journée par semaine avec les EIG et un comité mensuel avec le "
    "mentor de haut niveau.",
    "resources": "Postes de travail, hébergement et accès aux données dès l'arrivée.",
    "progress": "Un premier état des lieux a été mené en interne.",
    "risks": "Qualité inégale des données : un travail de normalisation est prévu.",
    "sustainability": "Le service reprendra la maintenance à la fin du programme.",
    "commits_open_source": True,
    "commits_open_data": True,
    "openness": "Code publié sous licence libre, données ouvertes sauf exception légale.",
    "motivation": "Le programme apporte des profils rares et une méthode centrée sur les "
    "usagers (texte de démonstration).",
}
SESSION_2_MISSIONS = {
    Specialty.DEVELOPMENT: "Construire le service et les API qui l'alimentent.",
    Specialty.DATA_SCIENCE: "Explorer les données et construire les modèles utiles au défi.",
    Specialty.DESIGN: "Mener la recherche utilisateur et concevoir les parcours.",
}
SESSION_2_SKILLS = {
    Specialty.DEVELOPMENT: "Python ou JavaScript, bases de données, conception d'API.",
    Specialty.DATA_SCIENCE: "Statistiques, apprentissage automatique, Python.",
    Specialty.DESIGN: "Entretiens, prototypage, accessibilité (RGAA).",
}
# Per juror (jure@, then jure2@), a level (0 to 1) for each défi in the file's order; None:
# not scored yet. Nobody has scored the last défi.
SESSION_2_LEVELS = [
    [0.9, 0.7, 0.5, 0.2, None],
    [1.0, 0.6, 0.4, None, None],
]
SESSION_2_COMMENTS = {
    0.2: "Le besoin est réel mais le défi reste à préciser.",
    0.4: "Intéressant ; l'équipe côté administration paraît mince.",
    0.5: "Défi solide, données encore à qualifier.",
    0.6: "Bon défi, usagers bien identifiés.",
    0.7: "Très bon défi, bien porté.",
    0.9: "Excellent défi, impact fort et données disponibles.",
    1.0: "Coup de cœur : impact, équipe et données réunis.",
}


def _next_september(today: datetime.date) -> datetime.date:
    start = datetime.date(today.year, 9, 1)
    return start if start > today else datetime.date(today.year + 1, 9, 1)


class Command(BaseCommand):
    help = "Crée les comptes et données de démonstration (refusé en production)."

    def handle(self, *args, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError(
                "Les données de démonstration sont refusées sur cet environnement "
                "(DEMO_ALLOWED est faux, par exemple en production)."
            )
        with transaction.atomic():
            self._site_config()
            call = self._open_call()
            users = {account.email: self._account(account) for account in ACCOUNTS}
            self._memberships(users)
            self._draft_defi(call, users["agent.dinum@demo.eig.fr"])
            self._submitted_defi(call, users["agent.culture@demo.eig.fr"])
            self._jury(call, users)
            self._funding_rules(call.promotion)
            self._selected_defi(call.promotion, users["agent.culture@demo.eig.fr"])
            self._candidate_defis(call.promotion)
            candidate_call = self._candidate_call(call.promotion)
            self._candidate_draft(candidate_call, users["candidate@demo.eig.fr"])
            session = self._second_session(call.promotion, users)
            candidate_session = candidate_session_load(
                promotion=call.promotion,
                staff=users["staff@demo.eig.fr"],
                jurors={email: users[email] for email in CANDIDATE_JURORS},
                now=timezone.now(),
            )
        self._print_accounts(call, session, candidate_session)

    def _site_config(self) -> None:
        DsfrConfig.objects.get_or_create(
            language="fr",
            defaults={
                "site_title": "Entrepreneurs d'intérêt général",
                "site_tagline": "Programme de la DINUM",
            },
        )

    def _open_call(self) -> ProjectCall:
        now = timezone.now()
        today = timezone.localdate(now, PARIS)
        mission_start = _next_september(today)
        promotion, _ = Promotion.objects.update_or_create(
            code="8",
            defaults={
                "number": 8,
                "name": "Promotion 8",
                "year": mission_start.year,
                "mission_start": mission_start,
                # Ten months: from 1 September to 30 June.
                "mission_end": datetime.date(mission_start.year + 1, 6, 30),
                "budget_envelope": Decimal("3000000.00"),
                "description": "Promotion de démonstration : ses données sont fictives.",
            },
        )
        call, _ = ProjectCall.objects.update_or_create(
            slug="aap-eig-8",
            defaults={
                "promotion": promotion,
                "title": "Appel à projets EIG 8",
                "description": "Appel à projets de démonstration, ouvert pour essayer le "
                "dépôt d'un défi.",
                "opens_at": now - datetime.timedelta(days=30),
                "closes_at": datetime.datetime.combine(
                    today + datetime.timedelta(days=45), datetime.time(23, 59), tzinfo=PARIS
                ),
            },
        )
        return call

    def _password_hash(self) -> str:
        # Hashed once for all the accounts: hashing is slow on purpose, and these accounts
        # share their (public) password anyway.
        if not hasattr(self, "_hash"):
            self._hash = make_password(PASSWORD)
        return self._hash

    def _administration(self, name: str) -> Administration:
        administration, _ = Administration.objects.get_or_create(
            name=name,
            defaults={
                "kind": Administration.Kind.MINISTRY,
                "town": "Paris",
                "article": guess_article(name),
            },
        )
        if not administration.email_domains and name in EMAIL_DOMAINS:
            administration.email_domains = EMAIL_DOMAINS[name]
            administration.save(update_fields=["email_domains"])
        return administration

    def _memberships(self, users: dict[str, User]) -> None:
        """The demo agents are verified members of their administration, as if staff had
        approved them (through the service, so that the history says so)."""
        staff = users["staff@demo.eig.fr"]
        for account in ACCOUNTS:
            if account.administration:
                membership_grant(
                    user=users[account.email],
                    administration=self._administration(account.administration),
                    actor=staff,
                    is_signatory=account.signatory,
                    reason="Compte de démonstration",
                    notify=False,
                )
                users[account.email].refresh_from_db(fields=["administration"])

    def _account(self, account: DemoAccount) -> User:
        user = User.objects.filter(email__iexact=account.email).first()
        if user is None:
            user = User.objects.create(
                email=account.email,
                password=self._password_hash(),
                first_name=account.first_name,
                last_name=account.last_name,
                job_title=account.job_title,
            )
        if account.role not in user.roles:
            user_grant_role(user=user, role=account.role)
        if account.role == Role.STAFF and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        if account.role == Role.STAFF:
            # Run again, the command gives back every recovery code.
            user_two_factor_set(
                user=user, totp_secret=DEMO_TOTP_SECRET, recovery_seed=DEMO_RECOVERY_SEED
            )
        EmailAddress.objects.update_or_create(
            user=user, email=account.email, defaults={"verified": True, "primary": True}
        )
        return user

    def _draft_defi(self, call: ProjectCall, agent: User) -> None:
        if Defi.objects.filter(call=call, owner=agent, title=DRAFT_TITLE).exists():
            return
        defi = services.defi_create(call=call, author=agent, title=DRAFT_TITLE)
        defi = _fill_sections(defi, agent, DRAFT_CONTENT)
        services.defi_set_positions(defi=defi, actor=agent, positions=DRAFT_POSITIONS)

    def _submitted_defi(self, call: ProjectCall, agent: User) -> None:
        if Defi.objects.filter(call=call, owner=agent, title=SUBMITTED_TITLE).exists():
            return
        defi = services.defi_create(call=call, author=agent, title=SUBMITTED_TITLE)
        defi = _fill_sections(defi, agent, SUBMITTED_CONTENT)
        services.defi_set_positions(defi=defi, actor=agent, positions=SUBMITTED_POSITIONS)
        defi = services.defi_attach_pitch_deck(defi=defi, actor=agent, upload=_pitch_deck())
        services.defi_submit(defi=defi, actor=agent)

    def _jury(self, call: ProjectCall, users: dict[str, User]) -> None:
        """The call's jury on the real grid of promotion 7, the two demo jurors, and the
        submitted défi assigned to both, so that scoring can be tried at once."""
        if call.jury_id:
            return
        jury = Jury.objects.create(
            name="Jury de présélection EIG 8",
            domain=DEFI_JURY.key,
            jurors_per_dossier=2,
            score_visibility=Jury.Visibility.AFTER_OWN,
            scoring_deadline=call.closes_at + datetime.timedelta(days=21),
        )
        jury_apply_preset(jury=jury, key="p7")
        call.jury = jury
        call.save(update_fields=["jury"])
        for email, expertise in [
            ("jure@demo.eig.fr", [Specialty.DEVELOPMENT]),
            ("jure2@demo.eig.fr", [Specialty.DESIGN]),
        ]:
            JuryMember.objects.create(jury=jury, user=users[email], expertise=expertise)
        jury_assign(domain=DEFI_JURY, jury=jury, actor=users["staff@demo.eig.fr"])

    def _funding_rules(self, promotion: Promotion) -> None:
        """Promotion 8 follows the rules of promotion 7: EIGs hired and paid by DINUM."""
        if not FundingRule.objects.filter(promotion=promotion).exists():
            promotion_apply_funding_preset(promotion=promotion, key="7")

    def _selected_defi(self, promotion: Promotion, agent: User) -> None:
        """A first session of promotion 8, already judged (P7 held a jury every two months):
        one défi of the Ministry of Culture selected, for the conventions to start from."""
        now = timezone.now()
        call, _ = ProjectCall.objects.get_or_create(
            slug="aap-eig-8-session-1",
            defaults={
                "promotion": promotion,
                "title": "Appel à projets EIG 8 – première session",
                "description": "Première session de démonstration, close et jugée.",
                "opens_at": now - datetime.timedelta(days=120),
                "closes_at": now + datetime.timedelta(days=1),
            },
        )
        if Defi.objects.filter(call=call, title=SELECTED_TITLE).exists():
            return
        defi = services.defi_create(call=call, author=agent, title=SELECTED_TITLE)
        defi = _fill_sections(defi, agent, {**SUBMITTED_CONTENT, **SELECTED_CONTENT})
        bands = {band.min_years: band for band in promotion.salary_bands.all()}
        services.defi_set_positions(
            defi=defi,
            actor=agent,
            positions=[
                {**position, "salary_band": bands[years].pk, "work_time": work_time}
                for position, years, work_time in zip(
                    SELECTED_POSITIONS, (0, 10, 0), (100, 100, 80), strict=True
                )
            ],
        )
        defi = services.defi_attach_pitch_deck(defi=defi, actor=agent, upload=_pitch_deck())
        services.defi_submit(defi=defi, actor=agent)
        # The session closed and its jury selected the défi: history written as it happened.
        call.closes_at = now - datetime.timedelta(days=60)
        call.save(update_fields=["closes_at"])
        defi.state = Defi.State.SELECTED
        defi.save(update_fields=["state"])
        history.record(
            defi,
            action=Defi.Action.DECIDED,
            from_state=Defi.State.SUBMITTED,
            to_state=Defi.State.SELECTED,
            actor=None,
        )

    def _candidate_defis(self, promotion: Promotion) -> None:
        """The défis the demo call for candidates recruits for: real défis as the programme
        published them to candidates in 2020 (promotion 4: each EIG position with its
        missions and skills), shown here as selected in promotion 8's first session."""
        call = ProjectCall.objects.get(slug="aap-eig-8-session-1")
        records = json.loads(CANDIDATE_DEFIS_DATA.read_text(encoding="utf-8"))
        for record in records:
            if Defi.objects.filter(call=call, title=record["title"]).exists():
                continue
            administration, _ = Administration.objects.get_or_create(
                name=record["administration"],
                defaults={"kind": guess_kind(record["administration"])},
            )
            defi = Defi.objects.create(
                call=call,
                administration=administration,
                state=Defi.State.SELECTED,
                submitted_at=call.closes_at,
                title=record["title"],
                summary=record["summary"],
                town=record["town"],
                themes=record["themes"],
            )
            DefiPosition.objects.bulk_create(
                DefiPosition(
                    defi=defi,
                    rank=rank,
                    specialty=position["specialty"],
                    missions=position["missions"],
                    skills=position["skills"],
                )
                for rank, position in enumerate(record["positions"], start=1)
            )
            history.record(
                defi,
                action=Defi.Action.DECIDED,
                from_state=Defi.State.SUBMITTED,
                to_state=Defi.State.SELECTED,
                actor=None,
                note="Défi de démonstration (publié aux candidats de la promotion 4).",
            )

    def _candidate_call(self, promotion: Promotion) -> CandidateCall:
        """The call for candidates of promotion 8, open, for the positions of its selected
        défis; its pre-selection is anonymous, as promotion 6's was."""
        now = timezone.now()
        today = timezone.localdate(now, PARIS)
        call, _ = CandidateCall.objects.update_or_create(
            slug="aac-eig-8",
            defaults={
                "promotion": promotion,
                "title": "Appel à candidatures EIG 8",
                "description": "Appel à candidatures de démonstration : rejoignez pour dix mois "
                "une administration qui a retenu un défi de la promotion 8.",
                # The conditions of the candidates' regulations (AAC EIG 5, article 3).
                "eligibility": "La candidature est faite par une personne physique.\n"
                "Ne peuvent concourir les fonctionnaires ou assimilés des trois fonctions "
                "publiques en poste au début de la promotion, les membres du jury et les experts "
                "du programme, ni les personnes en scolarité dans les deux premiers cycles "
                "universitaires.",
                "opens_at": now - datetime.timedelta(days=5),
                "closes_at": datetime.datetime.combine(
                    today + datetime.timedelta(days=30), datetime.time(23, 59), tzinfo=PARIS
                ),
                "wishes_timing": CandidateCall.WishesTiming.WITH_APPLICATION,
                "wishes_closes_at": None,
                "anonymous": True,
            },
        )
        return call

    def _candidate_draft(self, call: CandidateCall, candidate: User) -> None:
        """The demo candidate's draft: two sections written, the rest to try."""
        application = candidate_services.application_start(call=call, candidate=candidate)
        if application.state != application.State.DRAFT or application.presentation:
            return
        for key, data in {
            "presentation": {
                "presentation": "Développeuse depuis six ans, d'abord dans une jeune pousse de "
                "la mobilité, puis dans une collectivité.",
            },
            "competences": {
                "specialty": Specialty.DEVELOPMENT,
                "skills_main": "Python, Django, PostgreSQL, tests automatisés.",
                "skills_secondary": "Cartographie, accessibilité numérique.",
            },
        }.items():
            candidate_services.application_update_section(
                application=application,
                actor=candidate,
                section=CANDIDATE_SECTIONS[key],
                data=data,
            )

    def _second_session(self, promotion: Promotion, users: dict[str, User]) -> ProjectCall:
        """A second session of promotion 8, closed, whose jury is under way: five défis
        from the real call of promotion 6, the two demo jurors on the grid of promotion 7,
        some evaluations submitted, a hearing group and two free slots, so that ranking,
        pre-selection, hearings and deliberation can be tried (the open call cannot: they
        start at its closing)."""
        now = timezone.now()
        call, created = ProjectCall.objects.get_or_create(
            slug=SESSION_2_SLUG,
            defaults={
                "promotion": promotion,
                "title": "Appel à projets EIG 8 – deuxième session",
                "description": "Deuxième session de démonstration, close : son jury "
                "évalue les défis déposés ; présélection, auditions et délibération "
                "peuvent être essayées.",
                "opens_at": now - datetime.timedelta(days=75),
                # Open while the défis are written, closed just after (see below).
                "closes_at": now + datetime.timedelta(days=1),
            },
        )
        if not created:
            return call
        data = json.loads(SESSION_2_DATA.read_text(encoding="utf-8"))
        submitted_at = now - datetime.timedelta(days=20)
        defis = [
            self._session_defi(call, record, index, submitted_at)
            for index, record in enumerate(data["defis"])
        ]
        call.closes_at = now - datetime.timedelta(days=14)
        call.save(update_fields=["closes_at"])

        staff = users["staff@demo.eig.fr"]
        jury = Jury.objects.create(
            name="Jury EIG 8 – deuxième session",
            domain=DEFI_JURY.key,
            jurors_per_dossier=2,
            score_visibility=Jury.Visibility.AFTER_OWN,
            scoring_deadline=now + datetime.timedelta(days=14),
        )
        jury_apply_preset(jury=jury, key="p7")
        call.jury = jury
        call.save(update_fields=["jury"])
        members = [
            JuryMember.objects.create(jury=jury, user=users[email], expertise=expertise)
            for email, expertise in [
                ("jure@demo.eig.fr", [Specialty.DEVELOPMENT, Specialty.DATA_SCIENCE]),
                ("jure2@demo.eig.fr", [Specialty.DESIGN]),
            ]
        ]
        jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
        criteria = list(jury.criteria.order_by("position"))
        # Scores from strong to weak défi; the last one nobody has scored yet, and each
        # juror keeps one to score, so that every step has something to try.
        for member, levels in zip(members, SESSION_2_LEVELS, strict=True):
            for defi, level in zip(defis, levels, strict=False):
                if level is None:
                    continue
                evaluation = DefiEvaluation.objects.get(member=member, defi=defi)
                evaluation_save(
                    domain=DEFI_JURY,
                    evaluation=evaluation,
                    actor=member.user,
                    version=evaluation.version,
                    scores={criterion.pk: (_score(criterion, level), "") for criterion in criteria},
                    overall_comment=SESSION_2_COMMENTS[level],
                    submit=True,
                )
        group = jury_group_create(jury=jury, name="Groupe d'audition 1", members=members)
        first_hearing = datetime.datetime.combine(
            timezone.localdate(now, PARIS) + datetime.timedelta(days=7),
            datetime.time(9, 30),
            tzinfo=PARIS,
        )
        for hour in range(2):
            starts_at = first_hearing + datetime.timedelta(hours=hour)
            hearing_slot_create(
                jury=jury,
                group=group,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(minutes=45),
                location="DINUM, 20 avenue de Ségur, Paris 7e",
                video_url="",
            )
        return call

    def _session_defi(
        self, call: ProjectCall, record: dict, index: int, submitted_at: datetime.datetime
    ) -> Defi:
        """One défi of the second session, written by a porteur of its administration and
        submitted 20 days ago. Its history is written as it happened: replaying the
        submission now would mail acknowledgements for a session long closed."""
        administration, _ = Administration.objects.get_or_create(
            name=record["administration"],
            defaults={
                "kind": guess_kind(record["administration"]),
                "town": record["town"],
                "article": guess_article(record["administration"]),
            },
        )
        agent = self._porteur(administration, index)
        defi = services.defi_create(call=call, author=agent, title=record["title"])
        # Started ten days before its submission, as the history says.
        started_at = submitted_at - datetime.timedelta(days=10)
        Defi.objects.filter(pk=defi.pk).update(created_at=started_at)
        history_for(defi).update(at=started_at)
        content = {
            **SESSION_2_CONTENT,
            **{key: record[key] for key in SESSION_2_FIELDS},
            "work_site": record["town"][:200],
            "host_entity": record["administration"],
        }
        defi = _fill_sections(defi, agent, content)
        services.defi_set_positions(
            defi=defi,
            actor=agent,
            positions=[
                {
                    "specialty": specialty,
                    "missions": SESSION_2_MISSIONS[specialty],
                    "skills": SESSION_2_SKILLS[specialty],
                }
                for specialty in record["specialties"]
            ],
        )
        defi = services.defi_attach_pitch_deck(defi=defi, actor=agent, upload=_pitch_deck())
        missing = defi_missing_sections(defi)
        if missing:  # the same check as defi_submit: the demo data must stay complete
            raise CommandError(f"Défi de démonstration incomplet : {', '.join(missing)}")
        defi.state = Defi.State.SUBMITTED
        defi.submitted_at = submitted_at
        defi.save(update_fields=["state", "submitted_at"])
        transition = history.record(
            defi,
            action=Defi.Action.SUBMITTED,
            from_state=Defi.State.DRAFT,
            to_state=Defi.State.SUBMITTED,
            actor=agent,
            at=submitted_at,
        )
        services.defi_version_record(defi=defi, transition=transition)
        return defi

    def _porteur(self, administration: Administration, index: int) -> User:
        """The agent who carries a défi of the second session (no password: not a demo
        login)."""
        email = f"porteur{index + 1}@demo.eig.fr"
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            first_name, last_name, job = SESSION_2_PORTEURS[index]
            user = User.objects.create(
                email=email,
                password=make_password(None),
                first_name=first_name,
                last_name=last_name,
                job_title=job,
                administration=administration,
            )
            user_grant_role(user=user, role=Role.AGENT)
        return user

    def _print_accounts(
        self, call: ProjectCall, session: ProjectCall, candidate_session: CandidateCall
    ) -> None:
        closes = call.closes_at.astimezone(PARIS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Démonstration prête : « {call} » est ouvert jusqu'au "
                f"{closes:%d/%m/%Y à %H:%M} (heure de Paris) ; « {session} » est clos et "
                "son jury est à l'œuvre (classement, présélection, auditions, délibération) ; "
                f"« {candidate_session} » est clos, son jury présélectionne et fait passer "
                "les entretiens."
            )
        )
        width = max(len(a.email) for a in ACCOUNTS)
        self.stdout.write("\nComptes de démonstration :")
        self.stdout.write(f"{'e-mail':<{width}}  {'mot de passe':<14}  rôle")
        for account in ACCOUNTS:
            self.stdout.write(f"{account.email:<{width}}  {PASSWORD:<14}  {account.label}")
        self.stdout.write(
            "\nLe compte de l'équipe demande aussi un code de double authentification : "
            f"ajoutez la clé {DEMO_TOTP_SECRET} à votre application d'authentification, ou "
            "calculez le code du moment avec « python manage.py demo_totp_code » "
            "(voir le README)."
        )


def _score(criterion, level: float) -> int:
    """A score `level` of the way (0 to 1) up the criterion's scale."""
    return criterion.scale_min + round(level * (criterion.scale_max - criterion.scale_min))


def _fill_sections(defi: Defi, agent: User, content: dict) -> Defi:
    """Save the content section by section, as the agent would through the form."""
    for section in SECTIONS:
        data = {name: content[name] for name in section.fields if name in content}
        if data:
            defi = services.defi_update_section(defi=defi, actor=agent, data=data)
    return defi
