import datetime
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from dsfr.models import DsfrConfig

from eig.accounts.models import Role, User
from eig.history.selectors import history_for, history_latest
from eig.jury.selectors import jury_ranking
from eig.programme.models import Administration, Promotion
from projects.jury import DEFI_JURY
from projects.management.commands.load_demo import (
    ACCOUNTS,
    DEMO_TOTP_SECRET,
    PASSWORD,
    SELECTED_TITLE,
)
from projects.models import Defi, DefiEvaluation, ProjectCall

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[2]
# The two recovery codes of the demo staff account that the README shows.
README_RECOVERY_CODES = ["94184496", "03920773"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _counts():
    return {
        "users": User.objects.count(),
        "addresses": EmailAddress.objects.count(),
        "administrations": Administration.objects.count(),
        "promotions": Promotion.objects.count(),
        "calls": ProjectCall.objects.count(),
        "defis": Defi.objects.count(),
        "transitions": history_latest(Defi).count(),
        "configs": DsfrConfig.objects.count(),
    }


def test_load_demo_creates_accounts_with_verified_addresses():
    call_command("load_demo")

    for account in ACCOUNTS:
        user = User.objects.get(email=account.email)
        assert user.roles == [account.role]
        assert user.check_password(PASSWORD)
        assert EmailAddress.objects.filter(
            user=user, email=account.email, verified=True, primary=True
        ).exists()
    staff = User.objects.get(email="staff@demo.eig.fr")
    assert (staff.is_staff, staff.is_superuser) == (True, True)
    assert User.objects.get(email="agent.culture@demo.eig.fr").administration.name == (
        "Ministère de la Culture"
    )


def test_load_demo_accounts_log_in_at_once(client):
    call_command("load_demo")

    response = client.post(
        reverse("account_login"), {"login": "jure@demo.eig.fr", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="jure@demo.eig.fr").pk)


def test_load_demo_opens_the_call_of_promotion_8():
    call_command("load_demo")

    call = ProjectCall.objects.select_related("promotion").get(slug="aap-eig-8")
    today = timezone.localdate(timezone.now(), PARIS)
    closes = call.closes_at.astimezone(PARIS)
    assert call.title == "Appel à projets EIG 8"
    assert call.is_open()
    assert (closes.date(), closes.hour, closes.minute) == (
        today + datetime.timedelta(days=45),
        23,
        59,
    )
    promotion = call.promotion
    assert (promotion.code, promotion.name) == ("8", "Promotion 8")
    assert promotion.mission_start.month == 9
    assert promotion.mission_start > today
    assert promotion.year == promotion.mission_start.year
    assert promotion.budget_envelope == 3_000_000


def test_load_demo_builds_defis_through_the_services(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo")

    draft = Defi.objects.get(owner__email="agent.dinum@demo.eig.fr")
    submitted = Defi.objects.get(owner__email="agent.culture@demo.eig.fr", call__slug="aap-eig-8")
    selected = Defi.objects.get(call__slug="aap-eig-8-session-1", title=SELECTED_TITLE)
    assert draft.state == Defi.State.DRAFT
    assert draft.administration.name == "Direction interministérielle du numérique"
    assert list(history_for(draft).values_list("from_state", "to_state")) == [("", "draft")]
    assert draft.positions.count() == 2
    assert submitted.state == Defi.State.SUBMITTED
    assert submitted.pitch_deck.read(5) == b"%PDF-"
    assert list(history_for(submitted).values_list("from_state", "to_state")) == [
        ("", "draft"),
        ("draft", "submitted"),
    ]
    # The first session's défi went through submission too, then the jury selected it.
    assert selected.state == Defi.State.SELECTED
    assert list(history_for(selected).values_list("to_state", flat=True)) == [
        "draft",
        "submitted",
        "selected",
    ]
    assert selected.positions.filter(salary_band__isnull=False).count() == 3
    assert selected.call.is_open() is False
    assert [m.to for m in mail.outbox] == [["agent.culture@demo.eig.fr"]] * 2


def test_load_demo_uses_the_existing_reference_administration():
    dinum = Administration.objects.create(
        name="Direction interministérielle du numérique", kind=Administration.Kind.MINISTRY
    )

    call_command("load_demo")

    assert User.objects.get(email="agent.dinum@demo.eig.fr").administration == dinum
    assert Administration.objects.filter(name=dinum.name).count() == 1


def test_load_demo_sets_up_the_dsfr_config():
    call_command("load_demo")

    config = DsfrConfig.objects.get(language="fr")
    assert (config.site_title, config.site_tagline) == (
        "Entrepreneurs d'intérêt général",
        "Programme de la DINUM",
    )


def test_load_demo_is_idempotent(capsys):
    call_command("load_demo")
    before = _counts()

    call_command("load_demo")

    assert _counts() == before
    assert "candidate@demo.eig.fr" in capsys.readouterr().out


def test_load_demo_keeps_roles_added_later():
    call_command("load_demo")
    juror = User.objects.get(email="jure@demo.eig.fr")
    juror.roles = [Role.JUROR, Role.COACH]
    juror.save(update_fields=["roles"])

    call_command("load_demo")

    juror.refresh_from_db()
    assert juror.roles == [Role.JUROR, Role.COACH]


def test_load_demo_refused_when_demo_not_allowed(settings):
    settings.DEMO_ALLOWED = False

    with pytest.raises(CommandError, match="démonstration"):
        call_command("load_demo")

    assert not User.objects.exists()
    assert not ProjectCall.objects.exists()


def test_load_demo_sets_up_a_jury_with_the_submitted_defi_assigned():
    call_command("load_demo")
    call_command("load_demo")

    call = ProjectCall.objects.get(slug="aap-eig-8")
    assert call.jury.criteria.count() == 9
    assigned = set(
        DefiEvaluation.objects.filter(member__jury=call.jury).values_list(
            "member__user__email", "defi__title"
        )
    )
    assert assigned == {
        ("jure@demo.eig.fr", "Carte vivante du patrimoine"),
        ("jure2@demo.eig.fr", "Carte vivante du patrimoine"),
    }


def _demo_staff_password_step(client):
    response = client.post(
        reverse("account_login"), {"login": "staff@demo.eig.fr", "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")


def test_load_demo_staff_logs_in_with_documented_totp_secret(client):
    call_command("load_demo")
    code = io.StringIO()
    call_command("demo_totp_code", stdout=code)

    _demo_staff_password_step(client)
    response = client.post(reverse("mfa_authenticate"), {"code": code.getvalue().split()[0]})

    assert response.url == reverse("accounts:dashboard")
    assert client.get(reverse("admin:index")).status_code == 200
    assert DEMO_TOTP_SECRET in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("recovery_code", README_RECOVERY_CODES)
def test_load_demo_staff_logs_in_with_documented_recovery_code(client, recovery_code):
    call_command("load_demo")

    _demo_staff_password_step(client)
    response = client.post(reverse("mfa_authenticate"), {"code": recovery_code})

    assert response.url == reverse("accounts:dashboard")
    assert recovery_code in (ROOT / "README.md").read_text()


def test_load_demo_again_gives_back_used_recovery_codes(client):
    call_command("load_demo")
    _demo_staff_password_step(client)
    client.post(reverse("mfa_authenticate"), {"code": README_RECOVERY_CODES[0]})

    call_command("load_demo")

    staff = User.objects.get(email="staff@demo.eig.fr")
    codes = Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES)
    assert codes.wrap().get_unused_codes()[:2] == README_RECOVERY_CODES


# --- The second session: a closed call whose jury is under way ----------------------------


def test_load_demo_second_session_is_closed_with_real_defis_submitted():
    call_command("load_demo")

    call = ProjectCall.objects.get(slug="aap-eig-8-session-2")
    defis = list(call.defis.order_by("pk"))
    assert call.promotion.code == "8"
    assert call.is_open() is False
    assert call.closes_at < timezone.now()
    assert [defi.title for defi in defis] == [
        "Etat bas carbone",
        "Géocommuns",
        "Pilote Intelligence",
        "Recens'smart",
        "SOS Ponts",
    ]
    sos_ponts = defis[-1]
    assert sos_ponts.administration.name == "Cerema"
    assert "40 000" in sos_ponts.expected_impact  # the real défi's text
    for defi in defis:
        assert defi.state == Defi.State.SUBMITTED
        assert call.opens_at < defi.submitted_at < call.closes_at
        assert list(history_for(defi).values_list("to_state", flat=True)) == [
            "draft",
            "submitted",
        ]
        assert (defi.submitted_version, defi.versions.count()) == (1, 1)
        assert 2 <= defi.positions.count() <= 3
        assert defi.pitch_deck


def test_load_demo_second_session_jury_is_under_way():
    call_command("load_demo")

    jury = ProjectCall.objects.get(slug="aap-eig-8-session-2").jury
    assert jury.criteria.count() == 9
    assert jury.is_scoring_open()
    assert set(jury.members.values_list("user__email", flat=True)) == {
        "jure@demo.eig.fr",
        "jure2@demo.eig.fr",
    }
    evaluations = DefiEvaluation.objects.filter(member__jury=jury)
    assert evaluations.count() == 10  # five défis, two jurors each
    submitted = evaluations.filter(state="submitted")
    assert submitted.count() == 7
    assert not submitted.filter(defi__title="SOS Ponts").exists()
    assert set(submitted.values_list("dossier_version", flat=True)) == {1}
    ranking = list(jury_ranking(DEFI_JURY, jury, fields=("title",)))
    assert [row["title"] for row in ranking[:2]] == ["Etat bas carbone", "Géocommuns"]
    assert ranking[-1]["weighted"] is None
    assert jury.groups.get().members.count() == 2
    assert jury.slots.filter(starts_at__gt=timezone.now()).count() == 2


def test_load_demo_second_session_selection_pages_can_be_tried(client):
    call_command("load_demo")
    call_command("load_demo")
    jury = ProjectCall.objects.get(slug="aap-eig-8-session-2").jury
    client.force_login(User.objects.get(email="staff@demo.eig.fr"))

    for view in ("selection_ranking", "selection_shortlist", "selection_hearings"):
        response = client.get(reverse(f"jury:{view}", args=[jury.pk]))
        assert response.status_code == 200
        assert "indisponible" not in response.content.decode()
    deliberation = client.get(reverse("jury:selection_deliberation", args=[jury.pk]))
    assert "Décider" in deliberation.content.decode()
    assert DefiEvaluation.objects.filter(member__jury=jury).count() == 10
    client.force_login(User.objects.get(email="jure@demo.eig.fr"))
    dashboard = client.get(reverse("jury:dashboard")).content.decode()
    assert "Jury EIG 8 – deuxième session" in dashboard
