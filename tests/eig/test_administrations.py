import importlib
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.apps import apps as django_apps
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from eig.accounts.models import Role
from eig.exceptions import DomainError
from eig.history.selectors import history_for
from eig.history.services import record
from eig.programme.models import Administration, AdministrationMembership
from eig.programme.services import (
    membership_approve,
    membership_change,
    membership_end,
    membership_request,
)
from funding.services import signatures
from projects.models import DefiInvitation
from projects.services import defi_create, defi_invitation_accept, defi_invite
from tests.factories import (
    PASSWORD,
    AdministrationFactory,
    AgentFactory,
    CandidateFactory,
    DefiFactory,
    ProjectCallFactory,
    SignatoryAgentFactory,
    StaffFactory,
    UserFactory,
    funded_promotion,
    ministry,
    name_signatories,
    selected_defi,
)
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.django_db
URL = reverse("programme:administration_choose")


def _create_data(**overrides):
    data = {
        "create-name": "Agence nationale de la cohésion des territoires",
        "create-kind": "operateur",
        "create-siret": "130 026 032 00016",
        "create-parent": "",
        "create-budget_programme": "",
        "create-town": "Paris",
        "create-website": "",
        "action": "create",
    }
    return {**data, **overrides}


def test_agent_creates_administration_and_joins_it(client):
    agent = AgentFactory(administration=None)
    client.force_login(agent)

    response = client.post(URL, _create_data())

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.administration.siret == "13002603200016"


def test_wrong_siret_is_refused_in_french_and_nothing_created(client):
    client.force_login(AgentFactory(administration=None))

    response = client.post(URL, _create_data(**{"create-siret": "130 026 032 00017"}))

    assert response.status_code == 200
    assert "sa clé de contrôle est fausse" in response.content.decode()
    assert not Administration.objects.filter(kind="operateur").exists()


def test_duplicate_siret_points_to_join(client):
    AdministrationFactory(siret="13002603200016")
    client.force_login(AgentFactory(administration=None))

    response = client.post(URL, _create_data(**{"create-name": "Autre nom"}))

    assert "rejoignez-la plutôt" in response.content.decode()


def test_agent_joins_existing_administration(client):
    # Joining at once needs a verified address on one of the administration's domains (the
    # factory's addresses are verified, on exemple.gouv.fr); otherwise it is a request.
    administration = AdministrationFactory(email_domains=["exemple.gouv.fr"])
    agent = AgentFactory(administration=None)
    client.force_login(agent)

    response = client.post(URL, {"join-administration": str(administration.pk), "action": "join"})

    agent.refresh_from_db()
    assert response.status_code == 302
    assert agent.administration == administration


def test_choose_refused_to_candidates_and_anonymous(client):
    assert client.get(URL).status_code == 302
    client.force_login(CandidateFactory())

    response = client.get(URL)

    assert response.url == reverse("accounts:dashboard")


# --- Who belongs to an administration -----------------------------------------------------
# A membership is a request until a verified member, staff, or a verified address on one of
# the administration's domains confirms it; `User.administration` says "verified member".

Membership = AdministrationMembership
MembersState = Membership.State


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Mails leave once the transaction commits: `with commit():` runs them."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _join(client, administration, **extra):
    return client.post(
        URL, {"join-administration": str(administration.pk), "action": "join", **extra}
    )


def _sent_convention(administration):
    """A convention of `administration`, sent for signature (its PDF rendered)."""
    from funding.pdf import convention_version_render
    from funding.services import preparation, signatures

    promotion = funded_promotion("6")
    selected_defi(promotion, administration, positions=1)
    staff = StaffFactory()
    convention = preparation.convention_prepare(
        promotion=promotion, administration=administration, actor=staff
    )
    name_signatories(convention, staff)
    version = convention_version_render(version_id=convention.versions.get().pk)
    signatures.convention_version_send(version=version, actor=staff)
    return convention, version


def test_hostile_agent_who_posts_join_gets_a_pending_request_and_nothing_else(client, commit):
    """The hole of issue 9: a fresh agent posting another administration's id read and
    signed its conventions at once."""
    culture = ministry(name="Ministère de la Culture", budget_programme="361")
    member = SignatoryAgentFactory(administration=culture)
    convention, version = _sent_convention(culture)
    call = ProjectCallFactory()
    intruder = AgentFactory(administration=None, email="intrus@exemple.fr")
    mail.outbox.clear()
    client.force_login(intruder)

    with commit():
        response = _join(client, culture)

    intruder.refresh_from_db()
    membership = Membership.objects.get(user=intruder)
    assert response.status_code == 302
    assert (membership.state, intruder.administration) == (MembersState.REQUESTED, None)
    # The verified members are asked (the signatory and the défi's author).
    members = sorted(user.email for user in culture.members.all())
    assert member.email in members
    assert [m.to for m in mail.outbox] == [members]
    assert "intrus@exemple.fr" in mail.outbox[0].body
    # Nothing of the administration: its convention, its PDF, the upload, the list.
    detail = reverse("funding:convention_detail", args=[convention.pk])
    assert client.get(detail).status_code == 404
    pdf = reverse("funding:version_pdf", args=[convention.pk, version.number])
    assert client.get(pdf).status_code == 404
    upload = SimpleUploadedFile("s.pdf", pdf_bytes(2), content_type="application/pdf")
    sign = reverse("funding:version_sign_admin", args=[convention.pk, version.number])
    assert client.post(sign, {"signed_pdf": upload}).status_code == 404
    version.refresh_from_db()
    assert version.state == "sent"
    assert "Aucune convention" in client.get(reverse("funding:my_conventions")).content.decode()
    with pytest.raises(DomainError):
        signatures.convention_version_sign_admin(
            version=version,
            actor=intruder,
            upload=SimpleUploadedFile("s.pdf", pdf_bytes(2), content_type="application/pdf"),
        )
    # No défi for it either: the start page sends back to "Mon administration".
    start = client.get(reverse("projects:defi_start", args=[call.slug]))
    assert start.url.startswith(URL)
    with pytest.raises(DomainError):
        defi_create(call=call, author=intruder, title="Défi au nom d'autrui")
    # The page says the request waits.
    page = client.get(URL).content.decode()
    assert "est en attente" in page


def test_pending_requester_cannot_invite_nor_accept_an_invitation_elsewhere(client):
    culture = ministry()
    defi = DefiFactory(owner=AgentFactory(administration=culture))
    requester = AgentFactory(administration=None)
    membership_request(user=requester, administration=culture)
    invitation = DefiInvitation.objects.create(
        defi=DefiFactory(), email=requester.email, invited_by=AgentFactory()
    )

    with pytest.raises(DomainError, match="en attente"):
        defi_invitation_accept(invitation=invitation, user=requester)
    with pytest.raises(DomainError, match="membres vérifiés"):
        defi_invite(defi=defi, actor=requester, email="x@exemple.gouv.fr")


def test_member_switching_administration_by_post_ends_the_old_membership(client):
    culture, interior = ministry(), ministry()
    agent = AgentFactory(administration=culture)
    convention, _ = _sent_convention(culture)
    client.force_login(agent)

    refused = _join(client, interior)
    assert "Cochez la case" in refused.content.decode()
    agent.refresh_from_db()
    assert agent.administration == culture

    response = _join(client, interior, **{"join-confirm": "on"})

    agent.refresh_from_db()
    assert response.status_code == 302
    assert agent.administration is None
    states = dict(Membership.objects.filter(user=agent).values_list("administration", "state"))
    assert states == {culture.pk: MembersState.ENDED, interior.pk: MembersState.REQUESTED}
    ended = Membership.objects.get(user=agent, administration=culture)
    assert list(history_for(ended).values_list("action", "from_state", "to_state", "actor")) == [
        ("verified", "", "verified", None),
        ("ended", "verified", "ended", agent.pk),
    ]
    assert "Changement d'administration" in history_for(ended).last().note
    assert client.get(reverse("funding:convention_detail", args=[convention.pk])).status_code == (
        404
    )


def test_domain_join_needs_a_verified_address_on_the_domain(client, commit):
    culture = ministry(email_domains=["culture.gouv.fr"])
    colleague = AgentFactory(administration=culture)
    verified = AgentFactory(administration=None, email="ines@culture.gouv.fr")
    unverified = AgentFactory(administration=None, email="paul@culture.gouv.fr")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    elsewhere = AgentFactory(administration=None, email="ines@interieur.gouv.fr")
    mail.outbox.clear()

    with commit():
        joined = membership_request(user=verified, administration=culture)
        waiting = membership_request(user=unverified, administration=culture)
        other = membership_request(user=elsewhere, administration=culture)

    assert (joined.state, joined.verified_via) == (MembersState.VERIFIED, "domain")
    assert verified.administration == culture
    assert waiting.state == other.state == MembersState.REQUESTED
    assert unverified.administration is None
    # The members learn of the join by domain, and are asked about the two others.
    both = sorted([colleague.email, verified.email])
    assert [m.to for m in mail.outbox] == [[colleague.email], both, both]
    assert "a rejoint" in mail.outbox[0].subject
    assert "demande à rejoindre" in mail.outbox[1].subject

    # Confirming the address later verifies the waiting request.
    address = EmailAddress.objects.get(user=unverified)
    address.verified = True
    address.save()
    email_confirmed.send(sender=EmailAddress, request=None, email_address=address)
    waiting.refresh_from_db()
    unverified.refresh_from_db()
    assert (waiting.state, unverified.administration) == (MembersState.VERIFIED, culture)


def test_domains_are_validated_and_public_webmail_refused():
    administration = AdministrationFactory(email_domains=["gmail.com"])
    with pytest.raises(ValidationError, match="messagerie ouverte"):
        administration.full_clean()
    administration.email_domains = ["pas un domaine"]
    with pytest.raises(ValidationError, match="n'est pas un domaine"):
        administration.full_clean()


def _pending(administration, **kwargs):
    requester = AgentFactory(administration=None, **kwargs)
    return membership_request(user=requester, administration=administration, note="Bureau 3")


def test_verified_member_approves_a_request_of_their_administration(client, commit):
    culture = ministry()
    member = AgentFactory(administration=culture)
    membership = _pending(culture)
    mail.outbox.clear()
    client.force_login(member)

    with commit():
        response = client.post(reverse("programme:membership_approve", args=[membership.pk]))

    membership.refresh_from_db()
    membership.user.refresh_from_db()
    assert response.status_code == 302
    assert (membership.state, membership.verified_via, membership.decided_by) == (
        MembersState.VERIFIED,
        "member",
        member,
    )
    assert membership.user.administration == culture
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    assert "Vous êtes membre" in mail.outbox[0].subject
    assert list(history_for(membership).values_list("action", flat=True)) == [
        "requested",
        "verified",
    ]


def test_refusal_records_and_mails_the_reason(client, commit):
    culture = ministry()
    client.force_login(AgentFactory(administration=culture))
    membership = _pending(culture)
    mail.outbox.clear()

    with commit():
        client.post(
            reverse("programme:membership_refuse", args=[membership.pk]),
            {"reason": "Inconnue au service"},
        )

    membership.refresh_from_db()
    assert membership.state == MembersState.REFUSED
    assert history_for(membership).last().note == "Inconnue au service"
    assert mail.outbox[0].to == [membership.user.email]
    assert "Inconnue au service" in mail.outbox[0].body


def _outsider(kind, administration):
    if kind == "other-member":
        return AgentFactory()
    if kind == "pending-requester":
        return _pending(administration).user
    if kind == "candidate":
        return CandidateFactory()
    return AgentFactory(administration=None)


@pytest.mark.parametrize(
    "kind", ["other-member", "pending-requester", "candidate", "agent-without-administration"]
)
def test_only_verified_members_and_staff_decide(client, kind):
    culture = ministry()
    AgentFactory(administration=culture)
    membership = _pending(culture)
    client.force_login(_outsider(kind, culture))

    pages = [
        reverse("programme:administration_members", args=[culture.pk]),
        reverse("programme:membership_approve", args=[membership.pk]),
        reverse("programme:membership_refuse", args=[membership.pk]),
        reverse("programme:membership_signatory", args=[membership.pk]),
        reverse("programme:membership_remove", args=[membership.pk]),
    ]

    assert client.get(pages[0]).status_code == 404
    assert [client.post(page).status_code for page in pages[1:]] == [404] * 4
    membership.refresh_from_db()
    assert membership.state == MembersState.REQUESTED


def test_the_requester_cannot_approve_themselves_even_through_the_service():
    culture = ministry()
    membership = _pending(culture)

    with pytest.raises(DomainError):
        membership_approve(membership=membership, actor=membership.user)


def test_staff_approve_any_request_and_anonymous_go_to_login(client):
    culture = ministry()
    membership = _pending(culture)
    url = reverse("programme:membership_approve", args=[membership.pk])
    assert client.post(url).url.startswith(reverse("account_login"))
    client.force_login(StaffFactory())

    client.post(url)

    membership.refresh_from_db()
    assert (membership.state, membership.verified_via) == (MembersState.VERIFIED, "staff")


def test_signatories_are_named_by_staff_or_by_a_signatory_only(client, commit):
    culture = ministry()
    signatory = SignatoryAgentFactory(administration=culture)
    member = AgentFactory(administration=culture)
    colleague = AgentFactory(administration=culture)
    target = Membership.objects.get(user=colleague)
    url = reverse("programme:membership_signatory", args=[target.pk])

    client.force_login(member)
    assert client.post(url, {"signatory": "1"}).status_code == 403
    target.refresh_from_db()
    assert not target.is_signatory

    client.force_login(signatory)
    with commit():
        client.post(url, {"signatory": "1"})
    target.refresh_from_db()
    assert target.is_signatory
    assert mail.outbox[-1].to == [colleague.email]

    client.force_login(StaffFactory())
    client.post(url, {"signatory": "0"})
    target.refresh_from_db()
    assert not target.is_signatory
    assert list(history_for(target).values_list("action", flat=True)) == [
        "verified",
        "signatory_set",
        "signatory_unset",
    ]


def test_member_leaves_and_the_signatories_are_told(client, commit):
    culture = ministry()
    signatory = SignatoryAgentFactory(administration=culture)
    agent = AgentFactory(administration=culture)
    mail.outbox.clear()
    client.force_login(agent)

    with commit():
        client.post(URL, {"action": "leave", "leave-confirm": "on"})

    agent.refresh_from_db()
    membership = Membership.objects.get(user=agent)
    assert (agent.administration, membership.state) == (None, MembersState.ENDED)
    assert [m.to for m in mail.outbox] == [[signatory.email]]


def test_creator_of_an_administration_is_its_verified_signatory_and_staff_are_told(client, commit):
    staff = StaffFactory()
    agent = AgentFactory(administration=None)
    client.force_login(agent)

    with commit():
        client.post(URL, _create_data())

    membership = Membership.objects.get(user=agent)
    assert (membership.state, membership.verified_via, membership.is_signatory) == (
        MembersState.VERIFIED,
        "created",
        True,
    )
    assert [m.to for m in mail.outbox] == [[staff.email]]
    assert "Nouvelle administration" in mail.outbox[0].subject


@pytest.mark.parametrize("count", [1, 3])
def test_members_page_queries_do_not_grow(client, count, django_assert_num_queries):
    culture = ministry()
    member = SignatoryAgentFactory(administration=culture)
    for _ in range(count):
        AgentFactory(administration=culture)
        _pending(culture)
    client.force_login(member)

    with django_assert_num_queries(8):
        response = client.get(reverse("programme:administration_members", args=[culture.pk]))

    text = response.content.decode()
    assert text.count("Approuver<span") == count
    assert text.count("Désigner signataire") == count


def test_my_administration_page_queries_do_not_grow(client, django_assert_num_queries):
    culture, interior = ministry(), ministry()
    agent = AgentFactory(administration=culture)
    client.force_login(agent)
    counts = []
    for administration in (interior, culture, interior):
        with django_assert_num_queries(7):
            client.get(URL)
        counts.append(Membership.objects.filter(user=agent).count())
        membership_change(user=agent, administration=administration)
    assert counts == [1, 2, 3]


def test_data_migration_makes_existing_links_verified_memberships():
    from django.apps import apps

    migration = importlib.import_module("eig.programme.migrations.0006_migrate_memberships")
    culture = ministry()
    legacy = UserFactory(roles=[Role.AGENT], administration=culture)  # set by staff, before
    member = AgentFactory(administration=culture)  # already has its membership

    class LegacyEvents:
        """The membership events' table of that time, gone since 0008: its rows are
        written into the one history as 0008 copies them (the reason becomes the note)."""

        class objects:
            @staticmethod
            def create(*, membership, reason, **fields):
                return record(membership, actor=None, note=reason, **fields)

    class AppsOfThatTime:
        def get_model(self, app_label, model_name):
            if model_name == "AdministrationMembershipEvent":
                return LegacyEvents
            return apps.get_model(app_label, model_name)

    migration.forwards(AppsOfThatTime(), None)
    migration.forwards(AppsOfThatTime(), None)

    migrated = Membership.objects.get(user=legacy)
    assert (migrated.state, migrated.verified_via, migrated.is_signatory) == (
        MembersState.VERIFIED,
        "migrated",
        False,
    )
    assert history_for(migrated).get().to_state == MembersState.VERIFIED
    assert Membership.objects.filter(user=member).count() == 1


def test_invitation_of_a_member_makes_the_colleague_a_member():
    culture = ministry()
    defi = DefiFactory(owner=AgentFactory(administration=culture))
    newcomer = AgentFactory(administration=None)
    invitation = defi_invite(defi=defi, actor=defi.owner, email=newcomer.email)

    defi_invitation_accept(invitation=invitation, user=newcomer)

    newcomer.refresh_from_db()
    membership = Membership.objects.get(user=newcomer)
    assert (newcomer.administration, membership.verified_via, membership.decided_by) == (
        culture,
        "invitation",
        defi.owner,
    )


def test_invitation_of_someone_who_left_is_refused():
    culture = ministry()
    defi = DefiFactory(owner=AgentFactory(administration=culture))
    invitation = defi_invite(defi=defi, actor=defi.owner, email="neo@exemple.gouv.fr")
    membership_end(membership=Membership.objects.get(user=defi.owner), actor=defi.owner)
    newcomer = AgentFactory(administration=None, email="neo@exemple.gouv.fr")

    with pytest.raises(DomainError, match="ne vaut plus"):
        defi_invitation_accept(invitation=invitation, user=newcomer)
    newcomer.refresh_from_db()
    assert newcomer.administration is None


def test_personal_data_lists_memberships_and_erasure_ends_them_with_history(client):
    culture = ministry()
    agent = SignatoryAgentFactory(administration=culture)
    client.force_login(agent)

    data = json.loads(client.get(reverse("accounts:personal_data_export")).content)
    client.post(reverse("accounts:personal_data"), {"password": PASSWORD, "confirm": "on"})

    [exported] = data["rattachements_administrations"]
    assert (exported["administration"], exported["signataire"]) == (culture.name, True)
    membership = Membership.objects.get(administration=culture)
    assert (membership.user, membership.state, membership.is_signatory) == (
        None,
        MembersState.ENDED,
        False,
    )
    assert history_for(membership).last().note == "Compte supprimé"


def test_admin_inline_adds_a_verified_member_through_the_services(client):
    culture = ministry(name="Ministère de la Culture")
    agent = AgentFactory(administration=None)
    staff = StaffFactory()
    client.force_login(staff)
    url = reverse("admin:programme_administration_change", args=[culture.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "name": culture.name,
        "kind": culture.kind,
        "siret": "",
        "parent": "",
        "budget_programme": culture.budget_programme,
        "town": "Paris",
        "website": "",
        "email_domains": "culture.gouv.fr",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-user": str(agent.pk),
        "memberships-0-state": "verified",
        "memberships-0-is_signatory": "on",
        "_save": "Enregistrer",
    }

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    culture.refresh_from_db()
    agent.refresh_from_db()
    membership = Membership.objects.get(user=agent)
    assert culture.email_domains == ["culture.gouv.fr"]
    assert (agent.administration, membership.verified_via, membership.is_signatory) == (
        culture,
        "staff",
        True,
    )
    assert list(history_for(membership).values_list("action", "actor")) == [
        ("requested", staff.pk),
        ("verified", staff.pk),
        ("signatory_set", staff.pk),
    ]


def test_user_admin_shows_the_administration_but_never_sets_it(client):
    culture = ministry()
    agent = AgentFactory(administration=None)
    client.force_login(StaffFactory())
    url = reverse("admin:accounts_user_change", args=[agent.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data.update(
        {
            "roles": ["agent"],
            "groups": [],
            "user_permissions": [],
            "administration": str(culture.pk),
            "date_joined_0": agent.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": agent.date_joined.strftime("%H:%M:%S"),
            "is_active": "on",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data.pop("password", None)

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    agent.refresh_from_db()
    assert agent.administration is None
    assert not Membership.objects.filter(user=agent).exists()


def test_membership_admin_lists_requests_and_approves_them_by_action(client, commit):
    culture = ministry()
    membership = _pending(culture)
    staff = StaffFactory()
    client.force_login(staff)
    changelist = reverse("admin:programme_administrationmembership_changelist")
    assert str(membership.user) in client.get(changelist + "?state=requested").content.decode()
    assert (
        client.get(
            reverse("admin:programme_administrationmembership_change", args=[membership.pk])
        ).status_code
        == 200
    )

    with commit():
        client.post(changelist, {"action": "approve", "_selected_action": [membership.pk]})

    membership.refresh_from_db()
    assert (membership.state, membership.decided_by) == (MembersState.VERIFIED, staff)
    assert mail.outbox[-1].to == [membership.user.email]


def test_requests_are_limited_per_day_so_members_are_not_flooded():
    requester = AgentFactory(administration=None)
    for _ in range(5):
        membership_change(user=requester, administration=ministry())

    with pytest.raises(DomainError, match="trop de demandes"):
        membership_change(user=requester, administration=ministry())
    assert Membership.objects.filter(user=requester).count() == 5


def test_staff_listing_a_domain_verifies_the_pending_requests_on_it(client):
    culture = ministry(name="Ministère de la Culture")
    waiting = _pending(culture, email="ines@culture.gouv.fr")
    other = _pending(culture, email="paul@exemple.fr")
    client.force_login(StaffFactory())
    url = reverse("admin:programme_administration_change", args=[culture.pk])
    data = {
        "name": culture.name,
        "kind": culture.kind,
        "siret": "",
        "parent": "",
        "budget_programme": culture.budget_programme,
        "town": "Paris",
        "website": "",
        "email_domains": "culture.gouv.fr",
        "memberships-TOTAL_FORMS": "2",
        "memberships-INITIAL_FORMS": "2",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for index, membership in enumerate(
        Membership.objects.filter(administration=culture).order_by("-requested_at", "-pk")
    ):
        data[f"memberships-{index}-id"] = str(membership.pk)
        data[f"memberships-{index}-administration"] = str(culture.pk)
        data[f"memberships-{index}-state"] = "requested"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    waiting.refresh_from_db()
    other.refresh_from_db()
    assert (waiting.state, waiting.verified_via) == (MembersState.VERIFIED, "domain")
    assert other.state == MembersState.REQUESTED


# The article of the administration's name, in the sentences that name it.


def test_created_administration_gets_the_article_of_its_name(client):
    client.force_login(AgentFactory(administration=None))

    client.post(URL, _create_data())

    administration = Administration.objects.get(name=_create_data()["create-name"])
    assert administration.article == Administration.Article.ELIDED


def test_admin_guesses_an_empty_article_and_keeps_a_chosen_one(client):
    client.force_login(StaffFactory())
    url = reverse("admin:programme_administration_add")
    data = {
        "name": "Ministère de la Culture",
        "kind": "ministere",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "_save": "Enregistrer",
    }

    guessed = client.post(url, {**data, "article": ""})
    chosen = client.post(url, {**data, "name": "Pôle numérique", "article": "aucun"})

    assert (guessed.status_code, chosen.status_code) == (302, 302)
    assert dict(Administration.objects.values_list("name", "article")) == {
        "Ministère de la Culture": "le",
        "Pôle numérique": "aucun",
    }


def test_migration_fills_the_articles_of_existing_administrations():
    migration = importlib.import_module("eig.programme.migrations.0007_administration_article")
    culture = ministry(name="Ministère de la Culture", article="")
    dinum = ministry(name="Direction interministérielle du numérique (DINUM)", article="")
    archives = ministry(name="Archives nationales", article="")
    kept = ministry(name="Agence à corriger", article="la")

    migration.fill_articles(django_apps, None)

    assert [
        a.article
        for a in Administration.objects.filter(
            pk__in=[culture.pk, dinum.pk, archives.pk, kept.pk]
        ).order_by("pk")
    ] == ["le", "la", "les", "la"]


def test_members_page_names_the_administration_with_its_article(client):
    culture = ministry(name="Ministère de la Culture", article="le")
    client.force_login(AgentFactory(administration=culture))

    page = client.get(reverse("programme:administration_members", args=[culture.pk]))

    content = page.content.decode()
    assert "<h1>Membres du ministère de la Culture</h1>" in content
    assert "Membres de Ministère" not in content


def test_approval_mail_names_the_administration_with_its_article(client, commit):
    culture = ministry(name="Ministère de la Culture", article="le")
    member = AgentFactory(administration=culture)
    membership = _pending(culture)
    mail.outbox.clear()
    client.force_login(member)

    with commit():
        client.post(reverse("programme:membership_approve", args=[membership.pk]))

    [message] = mail.outbox
    assert message.subject.endswith("Vous êtes membre du ministère de la Culture")
    assert "a confirmé votre rattachement au ministère de la Culture." in message.body


def test_service_refusal_names_the_administration_with_its_article():
    dinum = ministry(name="DINUM", article="la")
    agent = AgentFactory(administration=dinum)

    with pytest.raises(DomainError) as error:
        membership_request(user=agent, administration=dinum)

    assert error.value.message == "Vous êtes déjà membre de la DINUM."
