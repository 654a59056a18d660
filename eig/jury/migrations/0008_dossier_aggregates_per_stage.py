"""The stored figures of a dossier are kept per stage: each stage has its own grid,
evaluations and ranking. The existing rows belong to their jury's first stage (created by
jury 0007), which holds every evaluation they were computed from."""

import django.db.models.deletion
from django.db import migrations, models


def attach_to_first_stages(apps, schema_editor):
    JuryStage = apps.get_model("jury", "JuryStage")
    DossierAggregate = apps.get_model("jury", "DossierAggregate")
    for stage in JuryStage.objects.filter(position=1):
        DossierAggregate.objects.filter(jury_id=stage.jury_id, stage__isnull=True).update(
            stage=stage
        )
    # A jury without stages has no evaluations to compute from: nothing to keep.
    DossierAggregate.objects.filter(stage__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0007_stages"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossieraggregate",
            name="stage",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.RunPython(attach_to_first_stages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dossieraggregate",
            name="stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="dossieraggregate",
            name="dossieraggregate_unique",
        ),
        migrations.AddConstraint(
            model_name="dossieraggregate",
            constraint=models.UniqueConstraint(
                fields=("stage", "dossier_id"), name="dossieraggregate_unique"
            ),
        ),
    ]
