"""A jury has stages (written dossier, interview…), each with its own grid.

Every existing jury gets a first stage, « Examen du dossier écrit », which takes its whole
grid: the juries as they were keep working unchanged. The domains' evaluations and reviews
are attached to it by their own apps' migrations."""

import django.db.models.deletion
from django.db import migrations, models


# A criterion's stage is one of its own jury's: a composite foreign key, which Django does
# not declare, onto the stage's unique (id, jury).
SAME_JURY = """
ALTER TABLE jury_criterion ADD CONSTRAINT criterion_stage_same_jury
FOREIGN KEY (stage_id, jury_id) REFERENCES jury_jurystage (id, jury_id)
DEFERRABLE INITIALLY DEFERRED
"""
SAME_JURY_DROP = "ALTER TABLE jury_criterion DROP CONSTRAINT criterion_stage_same_jury"


def first_stages(apps, schema_editor):
    Jury = apps.get_model("jury", "Jury")
    JuryStage = apps.get_model("jury", "JuryStage")
    Criterion = apps.get_model("jury", "Criterion")
    JuryStage.objects.bulk_create(
        JuryStage(jury_id=pk, position=1, name="Examen du dossier écrit", kind="written")
        for pk in Jury.objects.filter(stages__isnull=True).values_list("pk", flat=True)
    )
    for stage in JuryStage.objects.filter(position=1):
        Criterion.objects.filter(jury_id=stage.jury_id, stage__isnull=True).update(stage=stage)


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0006_dossier_aggregates"),
    ]

    operations = [
        migrations.CreateModel(
            name="JuryStage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=1, verbose_name="ordre")),
                ("name", models.CharField(max_length=120, verbose_name="nom")),
                (
                    "kind",
                    models.CharField(
                        choices=[("written", "Dossier écrit"), ("interview", "Entretien")],
                        default="written",
                        max_length=16,
                        verbose_name="nature",
                    ),
                ),
                (
                    "scoring_deadline",
                    models.DateTimeField(
                        blank=True,
                        help_text="Heure de Paris. Vide : la date limite du jury s'applique.",
                        null=True,
                        verbose_name="date limite des évaluations de l'étape",
                    ),
                ),
                (
                    "jury",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="stages",
                        to="jury.jury",
                    ),
                ),
            ],
            options={
                "verbose_name": "étape du jury",
                "verbose_name_plural": "étapes du jury",
                "ordering": ["jury", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("jury", "position"),
                        name="jurystage_position_unique",
                        violation_error_message="Deux étapes ne peuvent pas avoir le même ordre.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("position__gte", 1)),
                        name="jurystage_position_positive",
                        violation_error_message="L'ordre d'une étape commence à 1.",
                    ),
                    models.UniqueConstraint(fields=("id", "jury"), name="jurystage_id_jury"),
                ],
            },
        ),
        migrations.AddField(
            model_name="criterion",
            name="stage",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="criteria",
                to="jury.jurystage",
            ),
        ),
        migrations.RunPython(first_stages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="criterion",
            name="stage",
            field=models.ForeignKey(
                blank=True,
                help_text="Vide : la première étape du jury.",
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="criteria",
                to="jury.jurystage",
                verbose_name="étape",
            ),
        ),
        migrations.AlterModelOptions(
            name="criterion",
            options={
                "ordering": ["jury", "stage", "position"],
                "verbose_name": "critère",
                "verbose_name_plural": "critères",
            },
        ),
        migrations.RunSQL(SAME_JURY, SAME_JURY_DROP),
        migrations.RemoveConstraint(
            model_name="criterion",
            name="criterion_position_unique",
        ),
        migrations.AddConstraint(
            model_name="criterion",
            constraint=models.UniqueConstraint(
                fields=("stage", "position"),
                name="criterion_position_unique",
                violation_error_message="Deux critères ne peuvent pas avoir le même ordre.",
            ),
        ),
    ]
