import re

import pytest
from django.core import mail
from django.db.models import Count
from django.urls import reverse

from eig.jury import services
from projects.jury import DEFI_JURY
from projects.models import DefiEvaluation
from tests.factories import (
    AgentFactory,
    CandidateFactory,
    JurorFactory,
    JuryMemberFactory,
    ProjectCallFactory,
    StaffFactory,
    jury_for_call,
    submitted_defi,
)

pytestmark = pytest.mark.django_db

# Queries of each staff page, whatever the number of défis and jurors (user, …; the
# session comes from the cache).
INDEX_QUERIES = 4
# The jury's page counts each juror's evaluations apart from the list of jurors.
JURY_QUERIES = 8
# Unfiltered, the summary and the evaluations' progress are counted with the table's page
# (window aggregates): one query.
ASSIGNMENT_QUERIES = 9


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


@pytest.fixture
def jury():
    call = ProjectCallFactory()
    jury = jury_for_call(call, jurors=3, k=2)
    for _ in range(2):
        submitted_defi(call)
    return jury


def _pages(jury):
    return [
        reverse("jury:selection_index"),
        reverse("jury:selection_jury", args=[jury.pk]),
        reverse("jury:selection_assignment", args=[jury.pk]),
    ]


def test_selection_pages_are_for_staff(client, staff, jury):
    for url in _pages(jury):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "factory", [AgentFactory, CandidateFactory, JurorFactory], ids=["agent", "candidate", "juror"]
)
def test_selection_pages_refuse_other_roles(client, jury, factory):
    user = factory()
    if factory is JurorFactory:
        JuryMemberFactory(jury=jury, user=user)
    client.force_login(user)
    for url in _pages(jury):
        assert client.get(url).status_code == 403
    member = jury.members.first()
    response = client.post(reverse("jury:selection_member_withdraw", args=[jury.pk, member.pk]))
    assert response.status_code == 403
    member.refresh_from_db()
    assert member.withdrawn_at is None


def test_selection_pages_send_anonymous_users_to_login(client, jury):
    for url in _pages(jury):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_selection_unknown_jury_is_404(client, staff):
    assert client.get(reverse("jury:selection_jury", args=[999999])).status_code == 404


def test_selection_assignment_runs_and_explains(client, staff, jury):
    url = reverse("jury:selection_assignment", args=[jury.pk])

    response = client.post(url, {"action": "assign"}, follow=True)

    assert DefiEvaluation.objects.filter(member__jury=jury).count() == 4
    assert "Chaque dossier a ses 2 jurés" in response.content.decode()


def test_selection_assignment_notify_mails_jurors_once(
    client, staff, jury, django_capture_on_commit_callbacks
):
    url = reverse("jury:selection_assignment", args=[jury.pk])
    client.post(url, {"action": "assign"})

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "notify"})
        response = client.post(url, {"action": "notify"}, follow=True)

    assert len(mail.outbox) == 3
    assert "Aucun juré n&#x27;a de nouveau dossier" in response.content.decode()


def test_selection_assignment_by_hand_refuses_a_conflict_with_a_message(client, staff, jury):
    member = jury.members.first()
    defi = DEFI_JURY.dossiers(jury).first()
    services.conflict_declare(domain=DEFI_JURY, member=member, dossier=defi, reason="Ancien poste")

    response = client.post(
        reverse("jury:selection_assignment", args=[jury.pk]),
        {"action": "add", "dossier": defi.pk, "member": member.pk},
    )

    assert response.status_code == 400
    assert "conflit d&#x27;intérêts" in response.content.decode()
    assert not DefiEvaluation.objects.exists()


def test_selection_assignment_by_hand_with_bad_input_is_a_400(client, staff, jury):
    response = client.post(
        reverse("jury:selection_assignment", args=[jury.pk]),
        {"action": "add", "dossier": "abc", "member": ""},
    )

    assert response.status_code == 400
    assert "Choisissez un juré." in response.content.decode()


def test_selection_unassign_and_withdraw(client, staff, jury):
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    evaluation = DefiEvaluation.objects.first()

    client.post(reverse("jury:selection_unassign", args=[jury.pk, evaluation.pk]))
    assert not DefiEvaluation.objects.filter(pk=evaluation.pk).exists()

    member = jury.members.first()
    response = client.post(
        reverse("jury:selection_member_withdraw", args=[jury.pk, member.pk]), follow=True
    )
    member.refresh_from_db()
    assert member.withdrawn_at is not None
    assert "est retiré du jury" in response.content.decode()
    assert not DefiEvaluation.objects.filter(member=member).exists()


def test_jury_page_forms_withdraw_each_juror_with_a_valid_token(staff, jury):
    from django.test import Client

    member = jury.members.order_by("pk").first()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    page = client.get(reverse("jury:selection_jury", args=[jury.pk])).content.decode()
    action = reverse("jury:selection_member_withdraw", args=[jury.pk, member.pk])
    form = page.split(f'action="{action}"')[1].split("</form>")[0]
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    assert client.post(action, {"csrfmiddlewaretoken": token}).status_code == 302
    member.refresh_from_db()
    assert member.withdrawn_at is not None


def _grow(jury, count):
    call = jury.project_call
    for _ in range(count):
        submitted_defi(call)
        JuryMemberFactory(jury=jury)


@pytest.mark.parametrize("extra", [0, 2])
def test_selection_page_queries_are_constant(client, staff, jury, extra, django_assert_num_queries):
    _grow(jury, extra)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    pages = zip(_pages(jury), [INDEX_QUERIES, JURY_QUERIES, ASSIGNMENT_QUERIES], strict=True)
    for url, queries in pages:
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200


def test_jury_list_counts_active_members_criteria_and_defis(jury):
    from eig.jury.screens import jury_list_for_staff

    jury.members.filter(pk=jury.members.first().pk).update(withdrawn_at="2027-01-01T10:00Z")
    listed = jury_list_for_staff().get(pk=jury.pk)

    assert (listed.member_count, listed.criterion_count, listed.dossier_count) == (2, 3, 2)


def test_selection_tables_scroll_in_focusable_named_regions(client, staff, jury):
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)

    for url in _pages(jury):
        html = client.get(url).content.decode()
        containers = re.findall(r'<div class="fr-table__container"[^>]*>', html)
        assert containers, url
        for container in containers:
            assert 'tabindex="0"' in container and 'role="region"' in container, url
            caption_id = re.search(r'aria-labelledby="([^"]+)"', container).group(1)
            assert f'<caption id="{caption_id}">' in html, url


# --- The assignment table: pages, dossiers lacking jurors first, filters ---------------------


def _assigned_but_one(jury, staff):
    """Every défi has its jurors but the last one, which lacks one: (lacking, complete)."""
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    complete, lacking = DEFI_JURY.dossiers(jury).order_by("pk")
    services.evaluation_unassign(
        domain=DEFI_JURY, evaluation=DefiEvaluation.objects.filter(defi=lacking).first()
    )
    return lacking, complete


def _cell(defi) -> str:
    return f"<td>{defi.title}</td>"


def test_selection_assignment_pages_show_defis_lacking_jurors_first(
    client, staff, jury, monkeypatch
):
    from eig.jury.views import selection

    monkeypatch.setattr(selection, "ASSIGNMENT_PAGE_SIZE", 1)
    lacking, complete = _assigned_but_one(jury, staff)
    url = reverse("jury:selection_assignment", args=[jury.pk])

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    assert (_cell(lacking) in first, _cell(complete) in first) == (True, False)
    assert (_cell(lacking) in second, _cell(complete) in second) == (False, True)
    assert "2 défis déposés :" in first
    assert "<strong>1 manque de jurés</strong>, dont 0 sans aucun juré" in first
    assert "page 1 sur 2, 2 défis" in first
    assert 'aria-label="Pagination des dossiers"' in first


def test_selection_assignment_page_out_of_range_shows_the_last(client, staff, jury):
    url = reverse("jury:selection_assignment", args=[jury.pk])

    response = client.get(url, {"page": "999"})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 1


def test_selection_assignment_filters_defis_lacking_jurors(client, staff, jury):
    lacking, complete = _assigned_but_one(jury, staff)
    url = reverse("jury:selection_assignment", args=[jury.pk])

    html = client.get(url, {"manque": "on"}).content.decode()

    assert (_cell(lacking) in html, _cell(complete) in html) == (True, False)


def test_selection_assignment_filters_defis_of_one_juror(client, staff, jury):
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    # 4 evaluations for 3 jurors: the least loaded has one défi of the two.
    member = min(jury.members.all(), key=lambda member: member.defievaluations.count())
    mine = set(DefiEvaluation.objects.filter(member=member).values_list("defi_id", flat=True))
    url = reverse("jury:selection_assignment", args=[jury.pk])

    response = client.get(url, {"jure": member.pk})

    assert {row["pk"] for row in response.context["rows"]} == mine
    assert mine != {defi.pk for defi in DEFI_JURY.dossiers(jury)}


def test_selection_assignment_filter_refuses_a_juror_of_another_jury(client, staff, jury):
    stranger = JuryMemberFactory()
    url = reverse("jury:selection_assignment", args=[jury.pk])

    response = client.get(url, {"jure": stranger.pk})

    assert response.status_code == 200
    assert "Ce juré n&#x27;est pas dans le jury." in response.content.decode()
    assert len(response.context["rows"]) == 2


def test_selection_assignment_by_hand_takes_the_defi_number(client, staff, jury):
    member = jury.members.first()
    defi = DEFI_JURY.dossiers(jury).first()
    url = reverse("jury:selection_assignment", args=[jury.pk])

    assert f"<td>{defi.pk}</td>" in client.get(url).content.decode()
    response = client.post(url, {"action": "add", "dossier": defi.pk, "member": member.pk})

    assert response.status_code == 302
    assert DefiEvaluation.objects.filter(defi=defi, member=member, manual=True).exists()


@pytest.mark.parametrize("extra", [0, 2])
def test_selection_assignment_filtered_queries_are_constant(
    client, staff, jury, extra, django_assert_num_queries
):
    _grow(jury, extra)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    member = jury.members.first()
    url = reverse("jury:selection_assignment", args=[jury.pk])

    # The juror of the filter is checked against the jury, and the summary and the
    # progress count every défi apart from the filtered page: three queries more.
    with django_assert_num_queries(ASSIGNMENT_QUERIES + 3):
        response = client.get(url, {"jure": member.pk, "page": "1"})
    assert response.status_code == 200


def _summary_grouped(jury) -> dict:
    """The summary of the assignment page counted as it was before the page counted it
    with its rows: each défi grouped with its evaluations."""
    counts = [
        defi.n
        for defi in DEFI_JURY.dossiers(jury).annotate(n=Count(DEFI_JURY.evaluations_relation))
    ]
    expected = jury.jurors_per_dossier
    return {
        "total": len(counts),
        "lacking": sum(n < expected for n in counts),
        "unassigned": sum(n == 0 for n in counts),
    }


@pytest.mark.parametrize("filtered", ["none", "manque", "jure"])
def test_selection_assignment_summary_counts_every_defi(client, staff, jury, filtered):
    _grow(jury, 2)
    url = reverse("jury:selection_assignment", args=[jury.pk])
    member = jury.members.first()
    query = {"none": {}, "manque": {"manque": "on"}, "jure": {"jure": member.pk}}[filtered]

    def summary():
        return client.get(url, query).context["summary"]

    unassigned = summary()
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    assigned = summary()
    services.evaluation_unassign(
        domain=DEFI_JURY, evaluation=DefiEvaluation.objects.filter(member=member).first()
    )
    one_less = summary()

    assert unassigned == {"total": 4, "lacking": 4, "unassigned": 4}
    assert assigned == {"total": 4, "lacking": 0, "unassigned": 0}
    assert one_less == _summary_grouped(jury) == {"total": 4, "lacking": 1, "unassigned": 0}


def test_selection_assignment_rows_count_each_defi_evaluations(client, staff, jury):
    _grow(jury, 2)
    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    lacking = DEFI_JURY.dossiers(jury).last()
    services.evaluation_unassign(
        domain=DEFI_JURY, evaluation=DefiEvaluation.objects.filter(defi=lacking).first()
    )
    url = reverse("jury:selection_assignment", args=[jury.pk])

    rows = client.get(url).context["rows"]
    lacking_rows = client.get(url, {"manque": "on"}).context["rows"]
    grouped = dict(
        DEFI_JURY.dossiers(jury)
        .annotate(n=Count(DEFI_JURY.evaluations_relation))
        .values_list("pk", "n")
    )

    # Fewest jurors first, then by number.
    assert [(row["pk"], row["assigned"]) for row in rows] == sorted(
        grouped.items(), key=lambda item: (item[1], item[0])
    )
    assert [row["pk"] for row in lacking_rows] == [lacking.pk]


def test_defi_conflict_count_is_the_number_of_conflicts_listed(jury):
    from eig.jury.selectors import jury_conflicts, jury_members_active
    from eig.programme.models import Administration
    from projects.selectors.defis import defi_conflict_count
    from tests.factories import AdministrationFactory

    ministry = AdministrationFactory(kind=Administration.Kind.MINISTRY)
    operator = AdministrationFactory(kind=Administration.Kind.OPERATOR, parent=ministry)
    same_admin = JuryMemberFactory(jury=jury, user__administration=operator)
    JuryMemberFactory(jury=jury, user__administration=ministry)
    call = jury.project_call
    defis = [submitted_defi(call, owner__administration=operator) for _ in range(2)]
    submitted_defi(call, owner__administration=ministry)
    # Declared on top of an automatic one (one pair), and alone (a pair more).
    services.conflict_declare(domain=DEFI_JURY, member=same_admin, dossier=defis[0], reason="")
    other = jury.members.exclude(pk=same_admin.pk).first()
    services.conflict_declare(domain=DEFI_JURY, member=other, dossier=defis[1], reason="Ami")
    members = list(jury_members_active(jury))

    # 2 défis of the operator × 2 jurors, 1 of the ministry × 2 jurors, 1 declared alone.
    assert defi_conflict_count(jury, members) == len(jury_conflicts(DEFI_JURY, jury)) == 7


def test_jury_members_listed_read_what_the_rule_and_the_lists_read(jury, django_assert_num_queries):
    from eig.jury.selectors import jury_conflicts, jury_members_active, jury_members_listed
    from eig.programme.models import Administration
    from projects.selectors.defis import defi_conflict_count
    from tests.factories import AdministrationFactory

    ministry = AdministrationFactory(kind=Administration.Kind.MINISTRY)
    operator = AdministrationFactory(kind=Administration.Kind.OPERATOR, parent=ministry)
    JuryMemberFactory(jury=jury, user__administration=operator)
    JuryMemberFactory(jury=jury, user__administration=ministry)
    call = jury.project_call
    submitted_defi(call, owner__administration=operator)
    submitted_defi(call, owner__administration=ministry)
    dossiers = list(DEFI_JURY.dossiers(jury))
    every_column = list(jury_members_active(jury))

    # The members, then the conflicts and the names without a query of their own.
    with django_assert_num_queries(1):
        listed = list(jury_members_listed(DEFI_JURY, jury))
        conflicts = DEFI_JURY.automatic_conflicts(listed, dossiers)
        names = [str(member) for member in listed]

    assert conflicts == DEFI_JURY.automatic_conflicts(every_column, dossiers) != {}
    assert names == [str(member) for member in every_column]
    assert defi_conflict_count(jury, listed) == len(jury_conflicts(DEFI_JURY, jury)) == 4


# What the assignment table's rows printed through the template, before the view joined
# them as strings (`_assignment_row`).
ROW_TEMPLATE = (
    "{% for row in rows %}<tr><td>{{ row.pk }}</td><td>{{ row.title }}</td>"
    "<td>{{ row.holder }}</td><td>"
    '<ul class="fr-raw-list">{% for evaluation in row.evaluations %}<li>'
    "{{ evaluation.member }} "
    '<span class="fr-badge fr-badge--sm {{ evaluation.badge }}">{{ evaluation.state }}</span>'
    "{% if evaluation.manual %}"
    '<span class="fr-badge fr-badge--sm">à la main</span>{% endif %}'
    "{% if evaluation.unassign_url %}"
    '<form method="post" action="{{ evaluation.unassign_url }}">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{{ csrf }}">'
    '<button type="submit" class="fr-btn fr-btn--sm fr-btn--tertiary-no-outline" '
    'title="Retirer « {{ row.title }} » à {{ evaluation.member }}">Retirer</button></form>'
    "{% endif %}</li>{% empty %}<li>Aucun juré</li>{% endfor %}</ul></td>"
    "<td>{% if row.lacking %}"
    '<span class="fr-badge fr-badge--warning fr-badge--sm">'
    "{{ jury.jurors_per_dossier|add:0 }} attendus, {{ row.assigned }} "
    "affecté{{ row.assigned|pluralize }}</span>{% else %}—{% endif %}</td></tr>{% endfor %}"
)


@pytest.mark.parametrize("assigned", [0, 1, 2, 3])
def test_assignment_row_renders_as_the_template_did(assigned):
    from django.template import Context, Template
    from django.test.html import parse_html

    from eig.jury.views import selection as views

    evaluations = [
        {
            "member": "Anne <O'Brien> & Cie",
            "state": "À faire",
            "badge": "fr-badge--new",
            "manual": index % 2 == 0,
            "unassign_url": f"/selection/1/evaluations/{index}/retirer/" if index else "",
        }
        for index in range(assigned)
    ]
    row = {
        "pk": 12,
        "title": "Données « ouvertes » <b>",
        "holder": "Ministère & co",
        "evaluations": evaluations,
        "assigned": assigned,
        "lacking": assigned < 2,
    }
    template = Template(ROW_TEMPLATE).render(
        Context({"rows": [row], "jury": {"jurors_per_dossier": 2}, "csrf": "jeton"})
    )

    fast = views._assignment_row(row, expected=2, csrf="jeton")

    assert parse_html(fast) == parse_html(template)


def test_assignment_progress_counted_with_the_page_is_the_jurys(client, staff, jury):
    from eig.jury.selectors import jury_progress

    services.jury_assign(domain=DEFI_JURY, jury=jury, actor=staff)
    DefiEvaluation.objects.filter(member__jury=jury).filter(
        pk__in=DefiEvaluation.objects.filter(member__jury=jury).values("pk")[:3]
    ).update(state=DefiEvaluation.State.SUBMITTED)
    member = jury.members.first()
    url = reverse("jury:selection_assignment", args=[jury.pk])
    client.force_login(staff)

    unfiltered = client.get(url).context["progress"]
    filtered = client.get(url, {"jure": member.pk}).context["progress"]

    expected = jury_progress(DEFI_JURY, jury)
    assert expected["submitted"] == 3
    for progress in (unfiltered, filtered):
        assert (progress["due"], progress["submitted"]) == (expected["due"], 3)
