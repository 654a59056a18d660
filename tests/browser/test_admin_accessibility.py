"""Staff are users too: axe-core on the Django admin, the index, and the list, add and
change pages of every registered model."""

import datetime
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from dsfr.models import DsfrConfig

from candidates import services as candidate_services
from candidates.models import ApplicationConflict, PoolAccess, RetentionRun
from eig.jury import hearings
from eig.jury.models import DecisionRecord
from eig.notifications.models import Reminder
from eig.notifications.services import outbox_write
from eig.programme.models import FaqEntry
from funding.services.preparation import conventions_prepare_for_promotion
from projects.models import DefiConflict, DefiInvitation
from tests.factories import (
    CandidateCallFactory,
    CandidateFactory,
    ClosedProjectCallFactory,
    JuryMemberFactory,
    StaffFactory,
    funded_promotion,
    jury_for_call,
    jury_with_grid,
    ministry,
    selected_defi,
    submitted_defi,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _one_row_of_every_model(staff):
    """At least one row of each registered model, so that every change form is visited."""
    promotion = funded_promotion("6", envelope=Decimal("100000.00"), name="Promotion 6")
    culture = ministry(name="Ministère de la Culture", budget_programme="361")
    selected_defi(promotion, culture, positions=2, title="Gallica augmentée")
    conventions_prepare_for_promotion(promotion=promotion, actor=staff)

    call = ClosedProjectCallFactory()
    jury = jury_for_call(call, criteria=2, jurors=2)
    defi = submitted_defi(call, title="Cadastre solaire partagé")
    members = list(jury.members.order_by("pk"))
    DefiConflict.objects.create(member=members[0], defi=defi, reason="Ancien collègue")
    DefiInvitation.objects.create(
        defi=defi, email="coediteur@exemple.gouv.fr", invited_by=defi.owner
    )
    hearings.jury_group_create(jury=jury, name="Groupe 1", members=members)
    DecisionRecord.objects.create(jury=jury, version=1, created_by=staff)
    Reminder.objects.create(
        kind="defi_draft_j7",
        object_type="defi",
        object_id=defi.pk,
        recipient=defi.owner,
        due_on=datetime.date(2026, 1, 1),
    )
    outbox_write(
        to=[defi.owner.email],
        subject="Votre défi est déposé",
        body="Bonjour,\n\nVotre défi est bien déposé.\n",
        template="defi_submitted",
        attachments=[("defi.pdf", b"%PDF-1.4 essai", "application/pdf")],
    )
    DsfrConfig.objects.get_or_create(language="fr")
    candidate_call = CandidateCallFactory(promotion=promotion, title="Appel à candidatures EIG 6")
    application = candidate_services.application_start(
        call=candidate_call, candidate=CandidateFactory()
    )
    PoolAccess.objects.create(
        application=application, viewer=staff, viewer_name=str(staff), kind=PoolAccess.Kind.CV
    )
    ApplicationConflict.objects.create(
        member=JuryMemberFactory(jury=jury_with_grid(criteria=1, domain="candidatures")),
        application=application,
        reason="Ancienne collègue",
    )
    RetentionRun.objects.create(purged_selection=2, reconsent_asked=1)
    FaqEntry.objects.create(
        audience=FaqEntry.Audience.CANDIDATES,
        question="Qui peut devenir EIG ?",
        answer_html="<p>Toute personne.</p>",
    )
    EmailAddress.objects.get_or_create(user=staff, email=staff.email)
    Group.objects.get_or_create(name="Essai")


def _staff_page(browser, live_server, staff):
    client = Client()
    client.force_login(staff)
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_admin_pages_of_every_model_pass_axe(live_server, browser, axe):
    staff = StaffFactory(email="equipe@exemple.gouv.fr")
    _one_row_of_every_model(staff)
    page = _staff_page(browser, live_server, staff)

    paths = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        instance = model._default_manager.order_by("pk").first()
        assert instance is not None, f"aucune ligne de {opts.label} pour sa page de modification"
        paths.append(reverse(f"{name}_changelist"))
        paths.append(reverse(f"{name}_change", args=[instance.pk]))
        if model_admin.has_add_permission(_request_of(staff)):
            paths.append(reverse(f"{name}_add"))

    failures = []
    for path in paths:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        try:
            axe(page)
        except AssertionError as error:
            failures.append(str(error))

    # The one intermediate page of an action: a funding preset for the chosen promotions.
    page.goto(live_server.url + reverse("admin:programme_promotion_changelist"))
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "apply_funding_preset")
    page.locator("button[name=index]").click()
    page.get_by_role("button", name="Appliquer ces règles").wait_for()
    try:
        axe(page)
    except AssertionError as error:
        failures.append(str(error))

    assert not failures, "\n\n".join(failures)
    assert len(axe.visited) == len(paths) + 1


def _request_of(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
