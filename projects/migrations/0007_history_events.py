"""The défi's transitions and the evaluations' events move into the one history
(`eig.history.Event`): every row is copied with its action named, each version's submission
points at the copied event, then the old tables go."""

from django.db import migrations, models
import django.db.models.deletion

BATCH = 2000


def defi_action(from_state, to_state):
    """The history's action of an old transition, from the move it made."""
    if not from_state:
        return "created" if to_state == "draft" else "imported"
    if to_state == "submitted":
        return "unshortlisted" if from_state == "shortlisted" else "submitted"
    if to_state == "draft":
        return "restored" if from_state == "withdrawn" else "reopened"
    if to_state in ("withdrawn", "shortlisted"):
        return to_state
    return "decided"


def _copy(Event, content_type, rows, make):
    """Copy `rows` (old events, by pk) as Events built by `make`; returns {old pk: new pk}."""
    mapping = {}
    batch = []

    def flush():
        created = Event.objects.bulk_create([event for _, event in batch])
        mapping.update({old: event.pk for (old, _), event in zip(batch, created)})
        batch.clear()

    for row in rows.order_by("pk").iterator(chunk_size=BATCH):
        batch.append((row.pk, Event(subject_type=content_type, **make(row))))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return mapping


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Event = apps.get_model("history", "Event")
    DefiTransition = apps.get_model("projects", "DefiTransition")
    DefiEvaluationEvent = apps.get_model("projects", "DefiEvaluationEvent")
    DefiVersion = apps.get_model("projects", "DefiVersion")

    if DefiTransition.objects.exists():
        defi_type, _ = ContentType.objects.get_or_create(app_label="projects", model="defi")
        mapping = _copy(
            Event,
            defi_type,
            DefiTransition.objects.all(),
            lambda t: {
                "subject_id": t.defi_id,
                "action": defi_action(t.from_state, t.to_state),
                "from_state": t.from_state,
                "to_state": t.to_state,
                "actor_id": t.actor_id,
                "at": t.at,
                "note": t.note,
            },
        )
        versions = list(DefiVersion.objects.filter(transition__isnull=False))
        for version in versions:
            version.submission_event_id = mapping[version.transition_id]
        DefiVersion.objects.bulk_update(versions, ["submission_event"], batch_size=BATCH)
        # The submission's event says which version it made, as new ones do.
        for version in versions:
            Event.objects.filter(pk=version.submission_event_id).update(
                data={"version": version.number}
            )

    if DefiEvaluationEvent.objects.exists():
        evaluation_type, _ = ContentType.objects.get_or_create(
            app_label="projects", model="defievaluation"
        )
        _copy(
            Event,
            evaluation_type,
            DefiEvaluationEvent.objects.all(),
            lambda e: {
                "subject_id": e.evaluation_id,
                "action": e.action,
                "actor_id": e.actor_id,
                "at": e.at,
                "note": e.note,
            },
        )


def check_now(apps, schema_editor):
    # Fire the deferred foreign-key checks of the copied rows now: PostgreSQL refuses to
    # alter a table with pending trigger events in the same transaction.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0001_initial"),
        ("projects", "0006_descriptions_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="defiversion",
            name="submission_event",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="history.event",
                verbose_name="dépôt",
            ),
        ),
        # Irreversible in data: going back restores the old tables empty.
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(check_now, migrations.RunPython.noop),
        migrations.RemoveField(model_name="defiversion", name="transition"),
        migrations.RenameField(
            model_name="defiversion", old_name="submission_event", new_name="transition"
        ),
        migrations.DeleteModel(name="DefiTransition"),
        migrations.DeleteModel(name="DefiEvaluationEvent"),
    ]
