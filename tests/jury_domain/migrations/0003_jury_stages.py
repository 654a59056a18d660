"""Evaluations and reviews of défis belong to a stage of their jury: the existing ones to
its first stage (created by jury 0007), and an entry has one review per stage."""

import django.db.models.deletion
from django.db import migrations, models


# A review's stage is one of its own jury's (see jury 0007).
SAME_JURY = """
ALTER TABLE jury_testdomain_entryreview ADD CONSTRAINT entryreview_stage_same_jury
FOREIGN KEY (stage_id, jury_id) REFERENCES jury_jurystage (id, jury_id)
DEFERRABLE INITIALLY DEFERRED
"""
SAME_JURY_DROP = "ALTER TABLE jury_testdomain_entryreview DROP CONSTRAINT entryreview_stage_same_jury"


def attach_to_first_stages(apps, schema_editor):
    JuryStage = apps.get_model("jury", "JuryStage")
    EntryEvaluation = apps.get_model("jury_testdomain", "EntryEvaluation")
    EntryReview = apps.get_model("jury_testdomain", "EntryReview")
    for stage in JuryStage.objects.filter(position=1):
        EntryEvaluation.objects.filter(member__jury_id=stage.jury_id, stage__isnull=True).update(
            stage=stage
        )
        EntryReview.objects.filter(jury_id=stage.jury_id, stage__isnull=True).update(stage=stage)


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0007_stages"),
        ("jury_testdomain", "0002_entryreview_slot_shared"),
    ]

    operations = [
        migrations.AddField(
            model_name="entryevaluation",
            name="stage",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
            ),
        ),
        migrations.AddField(
            model_name="entryreview",
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
            model_name="entryevaluation",
            name="stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.AlterField(
            model_name="entryreview",
            name="stage",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="entryevaluation",
            name="entryevaluation_unique",
        ),
        migrations.AddConstraint(
            model_name="entryevaluation",
            constraint=models.UniqueConstraint(
                fields=("stage", "member", "entry"),
                name="entryevaluation_unique",
            ),
        ),
        migrations.AlterField(
            model_name="entryreview",
            name="entry",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="jury_reviews",
                related_query_name="jury_review",
                to="jury_testdomain.entry",
            ),
        ),
        migrations.AddConstraint(
            model_name="entryreview",
            constraint=models.UniqueConstraint(
                fields=("stage", "entry"),
                name="entryreview_unique",
            ),
        ),
        migrations.RunSQL(SAME_JURY, SAME_JURY_DROP),
    ]
