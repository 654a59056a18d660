"""The conventions' events move into the one history (`eig.history.Event`, subject: the
version), each named by the state it reached; then the old table goes."""

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Event = apps.get_model("history", "Event")
    ConventionEvent = apps.get_model("funding", "ConventionEvent")
    if not ConventionEvent.objects.exists():
        return
    version_type, _ = ContentType.objects.get_or_create(
        app_label="funding", model="conventionversion"
    )
    batch = []
    for row in ConventionEvent.objects.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(
            Event(
                subject_type=version_type,
                subject_id=row.version_id,
                action=row.to_state,
                from_state=row.from_state,
                to_state=row.to_state,
                actor_id=row.actor_id,
                at=row.at,
                note=row.note,
            )
        )
        if len(batch) >= BATCH:
            Event.objects.bulk_create(batch)
            batch = []
    Event.objects.bulk_create(batch)


def check_now(apps, schema_editor):
    # Fire the deferred foreign-key checks of the copied rows now: PostgreSQL refuses to
    # alter a table with pending trigger events in the same transaction.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0001_initial"),
        ("funding", "0002_version_reason_max_length"),
    ]

    operations = [
        # Irreversible in data: going back restores the old table empty.
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(check_now, migrations.RunPython.noop),
        migrations.DeleteModel(name="ConventionEvent"),
    ]
