"""Existing links between agents and administrations were set by staff or by the demo data:
each becomes a verified membership ("migrated"), with its history row. Nobody becomes a
signatory here: staff name them (the convention page says when an administration has none)."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Membership = apps.get_model("programme", "AdministrationMembership")
    Event = apps.get_model("programme", "AdministrationMembershipEvent")
    now = timezone.now()
    users = User.objects.filter(administration__isnull=False).exclude(
        memberships__state__in=["requested", "verified"]
    )
    for user in users.iterator():
        membership = Membership.objects.create(
            user=user,
            administration_id=user.administration_id,
            state="verified",
            verified_via="migrated",
            requested_at=user.date_joined,
            decided_at=now,
        )
        Event.objects.create(
            membership=membership,
            action="verified",
            from_state="",
            to_state="verified",
            at=now,
            reason="Rattachement antérieur repris",
        )


def backwards(apps, schema_editor):
    # The memberships go with the table; `User.administration` was never changed.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("programme", "0005_administration_memberships"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
