"""The jury's screens find their domain through the registry, keep identity from jurors of
an anonymous jury, and ask the rules of `eig/jury/rules.py`."""

import dataclasses
import html
import re

import pytest
from django.urls import reverse

from eig.jury import registry
from eig.jury.models import JuryGroup
from eig.jury.services import jury_notify_jurors
from eig.notifications.models import OutboxMessage
from projects.jury import DEFI_JURY
from projects.models import DefiConflict, DefiEvaluation, DefiReview
from tests.factories import (
    ClosedProjectCallFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db


def _text(response):
    return " ".join(html.unescape(response.content.decode()).split())


@pytest.fixture
def setting():
    call = ProjectCallFactory()
    jury = jury_for_call(call, criteria=2, jurors=2)
    defi = submitted_defi(call, title="Titre qui identifie")
    first, second = jury.members.order_by("pk")
    evaluation = DefiEvaluation.objects.create(member=first, defi=defi)
    return {"jury": jury, "defi": defi, "member": first, "other": second, "evaluation": evaluation}


@pytest.fixture
def swap_domain(monkeypatch):
    """Registers `domain` under its key for one test, as an app would from `ready()`."""

    def swap(domain):
        monkeypatch.setitem(registry._DOMAINS, domain.key, domain)
        return domain

    return swap


# --- The domain comes from the jury or from the URL's key ------------------------------------


def test_evaluation_url_of_an_unknown_domain_is_404(client, setting):
    client.force_login(setting["member"].user)
    url = reverse("jury:evaluation_detail", args=["inconnu", setting["evaluation"].pk])

    assert client.get(url).status_code == 404


def test_evaluation_url_under_another_domain_key_is_404(client, setting, swap_domain):
    # Another domain reading the same tables: the evaluation's jury is not of that domain.
    swap_domain(dataclasses.replace(DEFI_JURY, key="autres"))
    client.force_login(setting["member"].user)
    mine = reverse("jury:evaluation_detail", args=["defis", setting["evaluation"].pk])
    other = reverse("jury:evaluation_detail", args=["autres", setting["evaluation"].pk])

    assert client.get(mine).status_code == 200
    assert client.get(other).status_code == 404


@pytest.mark.parametrize(
    "name", ["selection_jury", "selection_assignment", "selection_ranking", "selection_hearings"]
)
def test_staff_pages_of_a_jury_of_an_unregistered_domain_are_404(client, setting, name):
    setting["jury"].domain = "inconnu"
    setting["jury"].save(update_fields=["domain"])
    client.force_login(StaffFactory())

    assert client.get(reverse(f"jury:{name}", args=[setting["jury"].pk])).status_code == 404


def test_conflicts_page_of_a_jury_of_an_unregistered_domain_is_404(client, setting):
    setting["jury"].domain = "inconnu"
    setting["jury"].save(update_fields=["domain"])
    client.force_login(setting["member"].user)

    assert client.get(reverse("jury:conflicts", args=[setting["jury"].pk])).status_code == 404


def test_selection_index_lists_juries_with_their_domain_nouns(client, setting):
    client.force_login(StaffFactory())

    content = _text(client.get(reverse("jury:selection_index")))

    assert f"{setting['jury']}" in content
    assert "1 défi" in content


# --- Anonymous juries --------------------------------------------------------------------------


@pytest.fixture
def anonymous(swap_domain):
    # The défis judged anonymously: jurors read only the summary, under a number.
    return swap_domain(
        dataclasses.replace(
            DEFI_JURY, anonymous=True, juror_template="", juror_fields=(("summary", "Résumé"),)
        )
    )


def test_anonymous_jury_pages_never_name_the_dossier_or_its_holder(client, setting, anonymous):
    defi, evaluation = setting["defi"], setting["evaluation"]
    client.force_login(setting["member"].user)
    number = f"Dossier n° {defi.pk:05d}"

    pages = [
        _text(client.get(reverse("jury:dashboard"))),
        _text(client.get(reverse("jury:evaluation_detail", args=["defis", evaluation.pk]))),
        _text(client.get(reverse("jury:conflicts", args=[setting["jury"].pk]))),
    ]

    for content in pages:
        assert number in content
        assert defi.title not in content
        assert defi.administration.name not in content
    assert defi.summary[:40] in pages[1]


def test_anonymous_jury_assignment_mail_names_dossiers_by_number(setting, anonymous):
    jury_notify_jurors(domain=anonymous, jury=setting["jury"])

    (message,) = OutboxMessage.objects.filter(template="jury_assignments")
    assert f"Dossier n° {setting['defi'].pk:05d}" in message.body
    assert setting["defi"].title not in message.body
    assert setting["defi"].administration.name not in message.body


def test_named_jury_assignment_mail_names_dossier_and_holder(setting):
    jury_notify_jurors(domain=DEFI_JURY, jury=setting["jury"])

    (message,) = OutboxMessage.objects.filter(template="jury_assignments")
    assert f"- {setting['defi'].title} ({setting['defi'].administration})" in message.body


def test_anonymous_jury_staff_pages_still_name_the_dossier(client, setting, anonymous):
    client.force_login(StaffFactory())

    content = _text(client.get(reverse("jury:selection_assignment", args=[setting["jury"].pk])))

    assert setting["defi"].title in content
    assert setting["defi"].administration.name in content


# --- Rules --------------------------------------------------------------------------------------


def test_rules_evaluate_evaluation_only_for_its_juror_without_conflict(setting):
    evaluation, member = setting["evaluation"], setting["member"]
    staff = StaffFactory()

    assert member.user.has_perm("jury.evaluate_evaluation", evaluation)
    assert not setting["other"].user.has_perm("jury.evaluate_evaluation", evaluation)
    # Staff are superusers, whom Django grants every permission: the juror's access helper
    # also filters on the juror, so that staff never reach the scoring form.
    assert staff.has_perm("jury.read_evaluation", evaluation)

    DefiConflict.objects.create(member=member, defi=setting["defi"], reason="Lien")
    assert not member.user.has_perm("jury.evaluate_evaluation", evaluation)
    assert not member.user.has_perm("jury.read_evaluation", evaluation)


def test_rules_withdrawn_juror_loses_evaluation_and_conflicts(setting):
    member = setting["member"]
    member.withdrawn_at = "2027-01-01T10:00Z"
    member.save(update_fields=["withdrawn_at"])

    assert not member.user.has_perm("jury.evaluate_evaluation", setting["evaluation"])
    assert not member.user.has_perm("jury.declare_conflict", member)


def test_rules_declare_conflict_for_the_member_only(setting):
    member = setting["member"]

    assert member.user.has_perm("jury.declare_conflict", member)
    assert not setting["other"].user.has_perm("jury.declare_conflict", member)


def test_rules_manage_jury_for_staff_only(setting):
    assert StaffFactory().has_perm("jury.manage_jury")
    assert not setting["member"].user.has_perm("jury.manage_jury")


def test_rules_record_hearing_for_the_group_and_staff(setting):
    from eig.jury.hearings import hearing_slot_create

    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, jurors=0)
    defi = submitted_defi(call)
    in_group, outside = JuryMemberFactory(jury=jury), JuryMemberFactory(jury=jury)
    group = JuryGroup.objects.create(jury=jury, name="Groupe A")
    group.members.set([in_group])
    slot = hearing_slot_create(
        jury=jury,
        group=group,
        starts_at=call.closes_at.replace(year=call.closes_at.year + 1),
        ends_at=call.closes_at.replace(year=call.closes_at.year + 1, hour=23, minute=59),
        location="Salle 1",
        video_url="",
    )
    review = DefiReview.objects.create(jury=jury, defi=defi, slot=slot)

    assert in_group.user.has_perm("jury.record_hearing", review)
    assert StaffFactory().has_perm("jury.record_hearing", review)
    assert not outside.user.has_perm("jury.record_hearing", review)


def test_juror_pages_name_the_call_and_the_automatic_conflicts_in_the_domains_words(
    client, setting, swap_domain
):
    # Another kind of call and another rule of conflict: the pages say the domain's, not the
    # défis' (« appel à projets », « votre administration et votre ministère »).
    swap_domain(
        dataclasses.replace(
            DEFI_JURY,
            call_noun="appel à candidatures",
            automatic_conflicts_label="Les candidatures de votre école sont repérées d'office.",
        )
    )
    client.force_login(setting["member"].user)
    evaluation_url = reverse("jury:evaluation_detail", args=["defis", setting["evaluation"].pk])

    conflicts = _text(client.get(reverse("jury:conflicts", args=[setting["jury"].pk])))
    dashboard = _text(client.get(reverse("jury:dashboard")))
    evaluation = _text(client.get(evaluation_url))

    assert "Les candidatures de votre école sont repérées d'office." in conflicts
    assert "votre ministère" not in conflicts
    for content in (conflicts, dashboard, evaluation):
        assert "ppel à candidatures «" in content
        assert "ppel à projets «" not in content, re.findall(r".{60}ppel à projets.{60}", content)
