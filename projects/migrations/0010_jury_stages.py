"""Evaluations and reviews of défis belong to a stage of their jury: the existing ones to
its first stage (created by jury 0007), and a défi has one review per stage."""

import django.db.models.deletion
from django.db import migrations, models


# A review's stage is one of its own jury's (see jury 0007).
SAME_JURY = """
ALTER TABLE projects_defireview ADD CONSTRAINT defireview_stage_same_jury
FOREIGN KEY (stage_id, jury_id) REFERENCES jury_jurystage (id, jury_id)
DEFERRABLE INITIALLY DEFERRED
"""
SAME_JURY_DROP = "ALTER TABLE projects_defireview DROP CONSTRAINT defireview_stage_same_jury"


def attach_to_first_stages(apps, schema_editor):
    JuryStage = apps.get_model("jury", "JuryStage")
    DefiEvaluation = apps.get_model("projects", "DefiEvaluation")
    DefiReview = apps.get_model("projects", "DefiReview")
    for stage in JuryStage.objects.filter(position=1):
        DefiEvaluation.objects.filter(member__jury_id=stage.jury_id, stage__isnull=True).update(
            stage=stage
        )
        DefiReview.objects.filter(jury_id=stage.jury_id, stage__isnull=True).update(stage=stage)


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0007_stages"),
        ("projects", "0009_review_slot_shared"),
    ]

    operations = [
        migrations.AddField(
            model_name="defievaluation",
            name="stage",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
            ),
        ),
        migrations.AddField(
            model_name="defireview",
            name="stage",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
            ),
        ),
        migrations.RunPython(attach_to_first_stages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="defievaluation",
            name="stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.AlterField(
            model_name="defireview",
            name="stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="defievaluation",
            name="defievaluation_unique",
        ),
        migrations.AddConstraint(
            model_name="defievaluation",
            constraint=models.UniqueConstraint(
                fields=("stage", "member", "defi"),
                name="defievaluation_unique",
                violation_error_message="Ce juré évalue déjà ce défi à cette étape.",
            ),
        ),
        migrations.AlterField(
            model_name="defireview",
            name="defi",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reviews",
                related_query_name="review",
                to="projects.defi",
            ),
        ),
        migrations.AddConstraint(
            model_name="defireview",
            constraint=models.UniqueConstraint(
                fields=("stage", "defi"),
                name="defireview_unique",
                violation_error_message="Ce défi a déjà sa suite à cette étape.",
            ),
        ),
        migrations.RunSQL(SAME_JURY, SAME_JURY_DROP),
    ]
