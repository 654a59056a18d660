"""Every URL of the project, requested as every role, on objects that belong to someone else.

The roles: anonymous; the agent (author of administration A's défis, verified member of A,
not a signatory); an agent of another administration; an agent whose request to join A waits;
the juror who evaluates A's défi and sits in its hearing group; a juror of another jury; a
juror of the same jury in conflict with the défi; a candidate; a coach; staff.

The matrix is the safety net of the permission layer: a view that forgets its access check,
or a new URL that nobody thought about, fails here. Each URL name has one row: how to build
its arguments from the shared world, and the status each role gets on GET (and, for the views
that only accept POST, the status of an empty POST by each role that must not act). A URL
pattern without a row fails `test_url_matrix_covers_every_pattern`.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from candidates import services as candidate_services
from candidates.models import Application, ApplicationEvaluation, Wish
from eig.accounts.models import Role, User
from eig.jury import hearings, shortlist
from eig.jury.models import DecisionRecord
from eig.programme.services import membership_request
from funding.services import preparation
from projects import services as defi_services
from projects.jury import DEFI_JURY
from projects.models import DefiConflict, DefiEvaluation
from tests.factories import (
    AdministrationFactory,
    AgentFactory,
    CandidateCallFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    DefiFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    SignatoryAgentFactory,
    StaffFactory,
    UserFactory,
    fill_defi,
    funded_promotion,
    jury_for_call,
    jury_with_grid,
    ministry,
    name_signatories,
    selected_defi,
    submitted_defi,
)
from tests.pdfs import pdf_bytes

ROLES = [
    "anonymous",
    "agent",
    "agent_other",
    "agent_pending",
    "juror",
    "juror_other",
    "juror_conflicted",
    "candidate",
    "coach",
    "staff",
]

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- The world -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("url-matrix-media")


def _storages(settings_storages, location):
    return {
        **settings_storages,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }


@pytest.fixture(autouse=True)
def _private_media(settings, media_root):
    # Overrides the conftest's per-test folder: the world's files (pitch decks, PDFs) are
    # written once for the module and must stay readable by every test.
    settings.STORAGES = _storages(settings.STORAGES, media_root)


def _build_world():
    """Administration A owns everything; every other role is someone else."""
    now = timezone.now()
    staff = StaffFactory()

    # Administration A, its agent (author of the défis, verified member), and a person whose
    # request to join A waits.
    administration = ministry(name="Ministère des matrices", budget_programme="129")
    agent = SignatoryAgentFactory(administration=administration, signatory=False)
    pending = UserFactory(roles=[Role.AGENT])
    pending_request = membership_request(user=pending, administration=administration)
    colleague = AgentFactory(administration=administration)
    colleague_membership = colleague.memberships.get()

    agent_other = AgentFactory()  # a verified member of another administration

    # A draft défi of A on an open call, with a pending invitation to co-edit it.
    open_call = ProjectCallFactory()
    draft = fill_defi(DefiFactory(call=open_call, owner=agent, administration=administration))
    invitation = defi_services.defi_invite(defi=draft, actor=agent, email="invitee@exemple.gouv.fr")

    # A submitted défi of A before a jury: one juror evaluates it, one declared a conflict,
    # a hearing group hears it, the deliberation has its decision record.
    closed_call = ClosedProjectCallFactory()
    jury = jury_for_call(closed_call, criteria=2, jurors=0, k=1)
    submitted = submitted_defi(closed_call, owner=agent, administration=administration)
    juror_member = JuryMemberFactory(jury=jury)
    conflicted_member = JuryMemberFactory(jury=jury)
    DefiConflict.objects.create(member=conflicted_member, defi=submitted, reason="Ancien poste")
    evaluation = DefiEvaluation.objects.create(defi=submitted, member=juror_member)
    shortlist.review_shortlist(
        domain=DEFI_JURY, jury=jury, dossier=submitted, actor=staff, questions="Quelles données ?"
    )
    group = hearings.jury_group_create(jury=jury, name="Groupe 1", members=[juror_member])
    start = now + datetime.timedelta(days=3)
    slot = hearings.hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=40),
        location="DINUM, salle 4.02",
    )
    hearings.review_assign_slot(
        domain=DEFI_JURY, jury=jury, dossier=submitted, slot=slot, actor=staff
    )
    record = DecisionRecord.objects.create(jury=jury, version=1, created_by=staff)
    record.pdf.save("releve.pdf", ContentFile(pdf_bytes(1)), save=False)
    record.rendered_at = now
    record.save()

    # A juror of another jury, with an evaluation of their own.
    other_call = ClosedProjectCallFactory()
    other_jury = jury_for_call(other_call, criteria=2, jurors=0, k=1)
    other_member = JuryMemberFactory(jury=other_jury)
    other_defi = submitted_defi(other_call)
    DefiEvaluation.objects.create(defi=other_defi, member=other_member)

    # A convention of A for a défi it saw selected, rendered, with a signed scan.
    promotion = funded_promotion("6", envelope=Decimal("100000.00"))
    selected = selected_defi(promotion, administration, positions=1, owner=agent)
    # Another candidate's submitted application to the promotion's call, with a wish.
    candidate_call = CandidateCallFactory(promotion=promotion)
    application = candidate_services.application_start(
        call=candidate_call, candidate=CandidateFactory()
    )
    Application.objects.filter(pk=application.pk).update(state=Application.State.SUBMITTED)
    wish = Wish.objects.create(application=application, position=selected.positions.get(), rank=1)
    # The call's jury, whose juror is the défi's: they evaluate the application (sent from
    # another e-mail domain than theirs, so without conflict) and read its CV.
    candidate_call.jury = jury_with_grid(criteria=2, k=1, domain="candidatures")
    candidate_call.save(update_fields=["jury"])
    User.objects.filter(pk=application.candidate_id).update(email="candidate@ecole.example.org")
    application.cv.save("cv.pdf", ContentFile(pdf_bytes(1)), save=False)
    Application.objects.filter(pk=application.pk).update(cv=application.cv.name)
    application_evaluation = ApplicationEvaluation.objects.create(
        application=application,
        member=JuryMemberFactory(jury=candidate_call.jury, user=juror_member.user),
    )
    # A dossier of the talent pool, with its CV (the selection's states land in another
    # branch: the state is set as data).
    pooled = candidate_services.application_start(call=candidate_call, candidate=CandidateFactory())
    Application.objects.filter(pk=pooled.pk).update(state="admitted")
    pooled.cv.save("cv.pdf", ContentFile(pdf_bytes(1)), save=False)
    Application.objects.filter(pk=pooled.pk).update(cv=pooled.cv.name)
    with TestCase.captureOnCommitCallbacks(execute=True):
        convention = preparation.convention_prepare(
            promotion=promotion, administration=administration, actor=staff
        )
        name_signatories(convention, staff)
    version = convention.versions.get()
    version.signed_pdf.save("signee.pdf", ContentFile(pdf_bytes(2)), save=True)

    users = {
        "anonymous": None,
        "agent": agent,
        "agent_other": agent_other,
        "agent_pending": pending,
        "juror": juror_member.user,
        "juror_other": other_member.user,
        "juror_conflicted": conflicted_member.user,
        "candidate": CandidateFactory(),
        "coach": UserFactory(roles=[Role.COACH]),
        "staff": staff,
    }
    return SimpleNamespace(
        users=users,
        administration=administration,
        pending_request=pending_request,
        colleague_membership=colleague_membership,
        draft=draft,
        invitation=invitation,
        open_call=open_call,
        candidate_call=candidate_call,
        application=application,
        application_evaluation=application_evaluation,
        wish=wish,
        pooled=pooled,
        closed_call=closed_call,
        jury=jury,
        submitted=submitted,
        selected=selected,
        juror_member=juror_member,
        evaluation=evaluation,
        group=group,
        record=record,
        promotion=promotion,
        convention=convention,
        version=version,
        administration_other=AdministrationFactory(),
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_root):
    """Built once for the module inside a transaction that is rolled back at its end; each
    test runs in a savepoint of it, so that what one test changes, the next does not see."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(
                PASSWORD_HASHERS=FAST_HASHER,
                STORAGES=_storages(django_settings.STORAGES, media_root),
            ):
                built = _build_world()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- The table -----------------------------------------------------------------------------

LOGIN = "login"  # a redirect to the login page (allauth's, or the admin's, which sends there)
REDIRECT = 302  # a redirect elsewhere (with a message): the request did nothing
OUTSIDERS = [role for role in ROLES if role not in ("anonymous", "staff")]


def statuses(default, anonymous=LOGIN, **by_role):
    """Status per role: `default` for every logged-in role not named."""
    table = dict.fromkeys(ROLES, default)
    table["anonymous"] = anonymous
    table.update(by_role)
    return table


def public():
    return statuses(200, anonymous=200)


def for_everyone_logged_in():
    return statuses(200)


def staff_only():
    return statuses(403, staff=200)


def post_only():
    """A POST-only view: GET is refused (405) to anyone logged in."""
    return statuses(405)


@dataclass
class Row:
    kwargs: object  # world -> reverse() kwargs
    get: dict
    # Status of an empty POST for each role that must not act; by default, the roles refused
    # on GET are refused on POST the same way. Roles absent from it are not posted as.
    post: dict | None = None
    # A text only some roles may read on the page (an object of administration A): world ->
    # (text, roles that see it).
    private: object = None
    actors: tuple = field(default=())  # roles whose POST is a legitimate action, not posted

    def post_statuses(self) -> dict:
        """Role -> expected status of its POST; None marks an actor, not posted as."""
        if self.post is not None:
            return {role: status for role, status in self.post.items() if status is not None}
        return {
            role: status
            for role, status in self.get.items()
            if status in (LOGIN, 403, 404) and role not in self.actors
        }


def _none(world):
    return {}


def _draft(world):
    return {"pk": world.draft.pk}


def _jury(world):
    return {"jury_pk": world.jury.pk}


def _convention(world):
    return {"pk": world.convention.pk}


def _version(world):
    return {"pk": world.convention.pk, "number": world.version.number}


def _candidate_call(world):
    return {"slug": world.candidate_call.slug}


def _membership_request(world):
    return {"pk": world.pending_request.pk}


def _colleague_membership(world):
    return {"pk": world.colleague_membership.pk}


def _domain_evaluation(world):
    return {"domain_key": "defis", "pk": world.evaluation.pk}


def _evaluation(world):
    return {"pk": world.evaluation.pk}


# Who reads a défi: its author (the agent) and staff; anyone else gets a 404 that does not
# disclose it. Staff do not edit it (403).
DEFI_READ = statuses(404, agent=200, staff=200)
DEFI_WRITE_POST = statuses(404, agent=None, staff=403)
# A juror's evaluation: only the juror it is given to (404 for anyone else, staff included).
EVALUATION = statuses(404, juror=200)
# A convention of A: its verified members and staff.
CONVENTION_READ = statuses(404, agent=200, staff=200)
# A staff step on a convention: 404 for who may not read it, 403 for A's agent.
CONVENTION_STAFF_POST = statuses(404, agent=403, staff=None)
# Pages of a call's jury for staff: 403 to anyone else, the page exists.
JURY_STAFF = staff_only()

MATRIX: dict[str, Row] = {
    "health": Row(_none, public()),
    "pages:accessibility": Row(_none, public(), post=statuses(405, anonymous=405)),
    "pages:legal_notice": Row(_none, public(), post=statuses(405, anonymous=405)),
    "pages:privacy": Row(_none, public(), post=statuses(405, anonymous=405)),
    "pages:sitemap": Row(_none, public(), post=statuses(405, anonymous=405)),
    # One's own account: every logged-in person has one.
    "accounts:dashboard": Row(_none, for_everyone_logged_in()),
    "accounts:profile": Row(_none, for_everyone_logged_in()),
    "accounts:personal_data": Row(_none, for_everyone_logged_in()),
    "accounts:personal_data_export": Row(
        _none,
        for_everyone_logged_in(),
        private=lambda w: (w.users["agent"].email, {"agent"}),
    ),
    # Administrations: agents choose theirs; others are sent back to their space.
    "programme:administration_choose": Row(
        _none,
        statuses(REDIRECT, agent=200, agent_other=200, agent_pending=200),
        post={"anonymous": LOGIN},
    ),
    "programme:administration_members": Row(
        lambda w: {"pk": w.administration.pk},
        statuses(404, agent=200, staff=200),
        actors=("agent", "staff"),
    ),
    # A request to join A: its verified members and staff decide it.
    "programme:membership_approve": Row(
        _membership_request, post_only(), post=statuses(404, agent=None, staff=None)
    ),
    "programme:membership_refuse": Row(
        _membership_request, post_only(), post=statuses(404, agent=None, staff=None)
    ),
    # Naming a signatory: signatories and staff (the agent is a member, not a signatory).
    "programme:membership_signatory": Row(
        _colleague_membership, post_only(), post=statuses(404, agent=403, staff=None)
    ),
    "programme:membership_remove": Row(
        _colleague_membership, post_only(), post=statuses(404, agent=403, staff=None)
    ),
    # Budget: staff only.
    "funding:budget_index": Row(_none, staff_only()),
    "funding:budget": Row(lambda w: {"pk": w.promotion.pk}, staff_only()),
    "funding:budget_prepare": Row(
        lambda w: {"pk": w.promotion.pk}, post_only(), post=statuses(403, staff=None)
    ),
    "funding:budget_csv": Row(lambda w: {"pk": w.promotion.pk}, staff_only()),
    # Conventions.
    "funding:my_conventions": Row(
        _none,
        statuses(404, agent=200, agent_other=200, agent_pending=200, staff=REDIRECT),
        private=lambda w: (w.convention.reference, {"agent"}),
    ),
    "funding:convention_detail": Row(_convention, CONVENTION_READ, actors=("agent", "staff")),
    "funding:convention_update": Row(
        _convention, post_only(), post=statuses(404, agent=403, staff=None)
    ),
    "funding:version_pdf": Row(_version, CONVENTION_READ),
    "funding:version_signed_pdf": Row(_version, CONVENTION_READ),
    "funding:version_send": Row(_version, post_only(), post=CONVENTION_STAFF_POST),
    # Signing for A: its signatories and staff. A member who is not one is sent back to the
    # convention with the reason, and nothing changes.
    "funding:version_sign_admin": Row(
        _version, post_only(), post=statuses(404, agent=REDIRECT, staff=None)
    ),
    "funding:version_sign_dinum": Row(_version, post_only(), post=CONVENTION_STAFF_POST),
    "funding:version_in_force": Row(_version, post_only(), post=CONVENTION_STAFF_POST),
    # Public pages of the calls and of the selected défis.
    "projects:home": Row(_none, public()),
    "projects:call_detail": Row(lambda w: {"slug": w.open_call.slug}, public()),
    "projects:catalogue": Row(_none, public()),
    "projects:catalogue_detail": Row(lambda w: {"pk": w.selected.pk}, public()),
    # Public pages of the calls for candidates and of the positions they offer.
    "candidates:call_list": Row(_none, public()),
    "candidates:call_detail": Row(lambda w: {"slug": w.candidate_call.slug}, public()),
    "candidates:call_defis": Row(lambda w: {"slug": w.candidate_call.slug}, public()),
    # A candidate's application: only candidates reach these pages (others: 403), each their
    # own application only. The matrix's candidate has none: they are offered to start one,
    # and another candidate's application, sections, wishes and actions are 404 to them.
    "candidates:application": Row(_candidate_call, statuses(403, candidate=200)),
    "candidates:application_start": Row(
        _candidate_call, post_only(), post=statuses(403, candidate=None)
    ),
    "candidates:application_section": Row(
        lambda w: {"slug": w.candidate_call.slug, "section": "motivation"},
        statuses(403, candidate=404),
    ),
    "candidates:application_wishes": Row(_candidate_call, statuses(403, candidate=404)),
    "candidates:application_submit": Row(
        _candidate_call, post_only(), post=statuses(403, candidate=404)
    ),
    "candidates:application_withdraw": Row(
        _candidate_call, post_only(), post=statuses(403, candidate=404)
    ),
    "candidates:pool_reconsent": Row(_candidate_call, statuses(403, candidate=404)),
    "candidates:wish_withdraw": Row(
        lambda w: {"slug": w.candidate_call.slug, "pk": w.wish.pk},
        post_only(),
        post=statuses(403, candidate=404),
    ),
    # The talent pool: programme staff only; the page exists for everyone (403).
    "candidates:pool": Row(_none, staff_only()),
    "candidates:pool_csv": Row(_none, staff_only()),
    "candidates:pool_xlsx": Row(_none, staff_only()),
    "candidates:pool_dossier": Row(lambda w: {"pk": w.pooled.pk}, staff_only()),
    "candidates:pool_cv": Row(lambda w: {"pk": w.pooled.pk}, staff_only()),
    # One application, for staff: like any application, hidden (404) from everyone else,
    # the juror who evaluates it included.
    "candidates:staff_application": Row(
        lambda w: {"pk": w.application.pk},
        statuses(404, staff=200),
        private=lambda w: ("candidate@ecole.example.org", {"staff"}),
    ),
    "candidates:staff_application_document": Row(
        lambda w: {"pk": w.application.pk, "document": "cv"}, statuses(404, staff=200)
    ),
    # The candidate's interview: their own application only, as the pages above.
    "candidates:application_interview": Row(_candidate_call, statuses(403, candidate=404)),
    "candidates:application_interview_book": Row(
        _candidate_call, post_only(), post=statuses(403, candidate=404)
    ),
    "candidates:application_interview_cancel": Row(
        _candidate_call, post_only(), post=statuses(403, candidate=404)
    ),
    "candidates:application_interview_ics": Row(_candidate_call, statuses(403, candidate=404)),
    # Starting a défi: agents who belong to an administration; an agent still waiting is sent
    # to "Mon administration", anyone else back to the call.
    "projects:defi_start": Row(
        lambda w: {"slug": w.open_call.slug},
        statuses(REDIRECT, agent=200, agent_other=200),
        post={"anonymous": LOGIN},
    ),
    "projects:my_defis": Row(
        _none,
        for_everyone_logged_in(),
        private=lambda w: (w.draft.title, {"agent"}),
    ),
    "projects:defi_detail": Row(_draft, DEFI_READ),
    "projects:defi_preview": Row(_draft, DEFI_READ),
    "projects:defi_pitch_deck": Row(_draft, DEFI_READ),
    "projects:defi_simulation": Row(_draft, DEFI_READ, actors=("agent",)),
    "projects:defi_section": Row(
        lambda w: {"pk": w.draft.pk, "section": "administration"},
        statuses(404, agent=200, staff=403),
        actors=("agent",),
    ),
    "projects:defi_invite": Row(_draft, post_only(), post=DEFI_WRITE_POST),
    "projects:defi_action": Row(
        lambda w: {"pk": w.draft.pk, "action": "submit"}, post_only(), post=DEFI_WRITE_POST
    ),
    # The token is the secret: whoever holds it sees the invitation; only the invited address
    # accepts it (none of these roles: each is sent back with the reason).
    "projects:invitation_accept": Row(
        lambda w: {"token": w.invitation.token},
        for_everyone_logged_in(),
        post=statuses(REDIRECT),
    ),
    # Jurors.
    "jury:dashboard": Row(
        _none,
        for_everyone_logged_in(),
        private=lambda w: (w.submitted.title, {"juror"}),
    ),
    "jury:evaluation_detail": Row(_domain_evaluation, EVALUATION, actors=("juror",)),
    "projects:evaluation_pitch_deck": Row(_evaluation, EVALUATION),
    "candidates:evaluation_cv": Row(lambda w: {"pk": w.application_evaluation.pk}, EVALUATION),
    "jury:evaluation_update": Row(
        _domain_evaluation, post_only(), post=statuses(404, juror=None, staff=404)
    ),
    "jury:conflicts": Row(
        _jury, statuses(404, juror=200, juror_conflicted=200), actors=("juror", "juror_conflicted")
    ),
    "jury:conflict_declare": Row(
        lambda w: {"jury_pk": w.jury.pk, "dossier_pk": w.submitted.pk},
        post_only(),
        post=statuses(404, juror=None, juror_conflicted=None),
    ),
    # Staff pages of a call's jury.
    "jury:selection_index": Row(_none, JURY_STAFF),
    "jury:selection_jury": Row(_jury, JURY_STAFF),
    "jury:selection_assignment": Row(_jury, JURY_STAFF),
    "jury:selection_unassign": Row(
        lambda w: {"jury_pk": w.jury.pk, "pk": w.evaluation.pk},
        post_only(),
        post=statuses(403, staff=None),
    ),
    "jury:selection_member_withdraw": Row(
        lambda w: {"jury_pk": w.jury.pk, "pk": w.juror_member.pk},
        post_only(),
        post=statuses(403, staff=None),
    ),
    "jury:selection_ranking": Row(_jury, JURY_STAFF),
    "jury:selection_ranking_csv": Row(_jury, JURY_STAFF),
    "jury:selection_ranking_xlsx": Row(_jury, JURY_STAFF),
    "jury:selection_dossier": Row(
        lambda w: {"jury_pk": w.jury.pk, "dossier_pk": w.submitted.pk}, JURY_STAFF
    ),
    "jury:selection_evaluation_reopen": Row(
        lambda w: {"jury_pk": w.jury.pk, "pk": w.evaluation.pk},
        post_only(),
        post=statuses(403, staff=None),
    ),
    "jury:selection_shortlist": Row(_jury, JURY_STAFF),
    "jury:selection_hearings": Row(_jury, JURY_STAFF),
    "jury:selection_group_create": Row(_jury, JURY_STAFF),
    "jury:selection_group_edit": Row(
        lambda w: {"jury_pk": w.jury.pk, "pk": w.group.pk}, JURY_STAFF
    ),
    # The hearing opinion: staff and the hearing group's members without a conflict; a
    # conflicted juror of the jury is told why (403); anyone else, a 404.
    "jury:selection_hearing_record": Row(
        lambda w: {"jury_pk": w.jury.pk, "dossier_pk": w.submitted.pk},
        statuses(404, juror=200, juror_conflicted=403, staff=200),
        actors=("juror", "staff"),
    ),
    "jury:selection_deliberation": Row(_jury, JURY_STAFF),
    # The decision letters: a jury whose domain has some (candidates); a POST names one.
    "jury:selection_letters": Row(
        lambda w: {"jury_pk": w.candidate_call.jury.pk},
        JURY_STAFF,
        post=statuses(403, staff=404),
    ),
    "jury:selection_decision_record": Row(
        lambda w: {"jury_pk": w.jury.pk, "pk": w.record.pk},
        JURY_STAFF,
        post=statuses(405),  # GET only, for everyone (login first)
    ),
    # allauth's pages, which we serve under /comptes/ (login, sign-up, e-mail, password,
    # two-factor): each about the person's own account, so nobody reaches anyone else's.
    # Logged in, the login and sign-up pages send on to one's space.
    "account_login": Row(_none, statuses(REDIRECT, anonymous=200), post={}),
    "account_signup": Row(_none, statuses(REDIRECT, anonymous=200), post={}),
    "account_logout": Row(_none, statuses(200, anonymous=REDIRECT), post={}),
    "account_inactive": Row(_none, public(), post={}),
    "account_reauthenticate": Row(_none, for_everyone_logged_in()),
    "account_request_reauthentication_code": Row(_none, for_everyone_logged_in()),
    # No code was requested: back to asking for one.
    "account_confirm_reauthentication_code": Row(_none, statuses(REDIRECT)),
    "account_email": Row(_none, for_everyone_logged_in()),
    "account_email_verification_sent": Row(_none, public(), post={}),
    "account_change_password": Row(_none, for_everyone_logged_in()),
    # Everyone here has a password: sent to the change form.
    "account_set_password": Row(_none, statuses(REDIRECT)),
    "account_reset_password": Row(_none, public(), post={}),
    "account_reset_password_done": Row(_none, public(), post={}),
    # A wrong key shows the page that says so; it discloses no account.
    "account_reset_password_from_key": Row(
        lambda w: {"uidb36": "1", "key": "cle-fausse"}, public(), post={}
    ),
    "account_reset_password_from_key_done": Row(_none, public(), post={}),
    "account_confirm_email": Row(lambda w: {"key": "cle-fausse"}, public(), post={}),
    # Without a login under way, the code pages send back.
    "account_confirm_login_code": Row(_none, statuses(REDIRECT)),
    "mfa_authenticate": Row(_none, statuses(REDIRECT)),
    "mfa_index": Row(_none, for_everyone_logged_in()),
    # Only staff have an authenticator app here; the others are sent to reauthenticate.
    "mfa_reauthenticate": Row(_none, statuses(REDIRECT, staff=200)),
    "mfa_activate_totp": Row(_none, statuses(REDIRECT)),
    "mfa_deactivate_totp": Row(_none, statuses(404, staff=REDIRECT)),
    "mfa_generate_recovery_codes": Row(_none, statuses(REDIRECT)),
    # Nobody here has recovery codes.
    "mfa_view_recovery_codes": Row(_none, statuses(404), post=statuses(405)),  # GET only
    "mfa_download_recovery_codes": Row(_none, statuses(404)),
    # The admin, by a few representative pages (its other pages share their checks): staff
    # only; anyone else is sent to the admin's login, which sends an anonymous person to log in
    # and refuses a logged-in one (test_url_matrix_admin_login_refuses_non_staff).
    "admin:index": Row(_none, statuses(LOGIN, staff=200)),
    "admin:projects_defi_changelist": Row(_none, statuses(LOGIN, staff=200)),
    "admin:projects_defi_change": Row(
        lambda w: {"object_id": w.draft.pk}, statuses(LOGIN, staff=200), actors=("staff",)
    ),
}


# --- URL patterns --------------------------------------------------------------------------

# What the matrix leaves out, and why. Everything else needs a row.
SKIPPED = {
    # Django's admin: one row per model and action, all behind the same `admin_view` check;
    # the rows "admin:…" above stand for them, and test_url_matrix_admin_refuses_non_staff
    # requests the list and the add page of every registered model as every role.
    "admin": "les pages du back-office partagent la même vérification (lignes admin:… ci-dessus)",
    # Static and media files are served by the web server, never by a Django URL in
    # production; django-dsfr declares no URL.
    "static": "fichiers statiques et médias",
}


def _skipped(name: str, pattern: URLPattern) -> str | None:
    module = getattr(pattern.callback, "__module__", "") or ""
    if name.startswith("admin:"):
        return "admin"
    if module.startswith("django.views.static") or module.startswith("django.contrib.staticfiles"):
        return "static"
    return None


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}" if entry.name else f"{prefix}<{entry.pattern}>", entry


def _project_urls() -> dict[str, URLPattern]:
    return {
        name: pattern
        for name, pattern in _walk(get_resolver().url_patterns)
        if _skipped(name, pattern) is None
    }


def test_url_matrix_covers_every_pattern():
    missing = sorted(set(_project_urls()) - set(MATRIX))

    assert not missing, "URL sans ligne dans la matrice : " + ", ".join(missing)


def test_url_matrix_has_no_stale_row():
    names = {name for name, _ in _walk(get_resolver().url_patterns)}

    assert sorted(set(MATRIX) - names) == []


def test_url_matrix_skips_only_what_it_says():
    reasons = {_skipped(name, pattern) for name, pattern in _walk(get_resolver().url_patterns)} - {
        None
    }

    assert reasons <= set(SKIPPED)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_url_matrix_admin_login_refuses_non_staff(world, client, db, role):
    _as(client, world, role)

    response = client.get(reverse("admin:login"), {"next": reverse("admin:index")})

    assert response.status_code == 403


def _admin_pages():
    from django.contrib import admin

    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        info = (model._meta.app_label, model._meta.model_name)
        yield pytest.param("admin:{}_{}_changelist".format(*info), id=f"{model._meta.label}-liste")
        yield pytest.param("admin:{}_{}_add".format(*info), id=f"{model._meta.label}-ajout")


@pytest.mark.parametrize("name", list(_admin_pages()))
def test_url_matrix_admin_refuses_non_staff(world, client, db, name):
    # Every page of the back office, not only the representative rows: an outsider is sent
    # to the admin's login (which refuses a logged-in one), and changes nothing by posting.
    url = reverse(name)
    before = _fingerprint()
    for role in ["anonymous", *OUTSIDERS]:
        client.logout()
        _as(client, world, role)

        assert _status(client.get(url)) == LOGIN, f"GET {url} en tant que {role}"
        assert _status(client.post(url)) == LOGIN, f"POST {url} en tant que {role}"
    assert _fingerprint() == before


# --- Requests ------------------------------------------------------------------------------


def _fingerprint_sql() -> str:
    """One query summing up the data a request could change: the row count of every table of
    the project's apps, and the state of every row that has one."""
    parts = []
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "programme", "projects", "jury", "funding"}:
            continue
        table = model._meta.db_table
        parts.append(f'(SELECT count(*) FROM "{table}")')
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if f.name
            in {
                "state",
                "is_signatory",
                "withdrawn_at",
                "accepted_at",
                "administration",
                "roles",
                "submitted_at",
                "shortlisted",
                "slot",
                "decision",
            }
        ]
        if columns:
            row = " || '|' || ".join(f"coalesce(\"{c}\"::text, '')" for c in columns)
            parts.append(
                f"(SELECT md5(coalesce(string_agg(\"{model._meta.pk.column}\"::text || ':' || "
                f"{row}, ',' ORDER BY \"{model._meta.pk.column}\"), '')) FROM \"{table}\")"
            )
    return "SELECT " + ", ".join(parts)


def _fingerprint():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        return cursor.fetchone()


def _status(response):
    if response.status_code == 302:
        login = reverse("account_login")
        admin_login = reverse("admin:login")
        if response.url.startswith(login) or response.url.startswith(admin_login):
            return LOGIN
    return response.status_code


def _as(client, world, role):
    user = world.users[role]
    if user is not None:
        client.force_login(user)


GET_CASES = [(name, role) for name in MATRIX for role in ROLES]
POST_CASES = [(name, role) for name, row in MATRIX.items() for role in row.post_statuses()]


@pytest.mark.parametrize(("name", "role"), GET_CASES, ids=[f"{n}-{r}" for n, r in GET_CASES])
def test_url_matrix_get(world, client, db, name, role):
    row = MATRIX[name]
    _as(client, world, role)
    url = reverse(name, kwargs=row.kwargs(world))

    response = client.get(url)

    assert _status(response) == row.get[role], f"GET {url} en tant que {role}"
    if row.private is not None and response.status_code == 200:
        text, seen_by = row.private(world)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert (text in body.decode()) == (role in seen_by), f"{text!r} sur {url} ({role})"


@pytest.mark.parametrize(("name", "role"), POST_CASES, ids=[f"{n}-{r}" for n, r in POST_CASES])
def test_url_matrix_post_changes_nothing_for_outsiders(world, client, db, name, role):
    row = MATRIX[name]
    _as(client, world, role)
    url = reverse(name, kwargs=row.kwargs(world))
    before = _fingerprint()

    response = client.post(url)

    assert _status(response) == row.post_statuses()[role], f"POST {url} en tant que {role}"
    assert _fingerprint() == before, f"POST {url} en tant que {role} a changé des données"


def test_url_matrix_fingerprint_sees_what_an_actor_changes(world, client, db):
    # The net is not empty: the staff's legitimate withdrawal of a juror changes the
    # fingerprint that the outsiders' requests must leave alone.
    _as(client, world, "staff")
    before = _fingerprint()

    response = client.post(
        reverse(
            "jury:selection_member_withdraw",
            kwargs={"jury_pk": world.jury.pk, "pk": world.juror_member.pk},
        )
    )

    assert response.status_code == 302
    assert _fingerprint() != before
