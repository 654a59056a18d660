import django.contrib.postgres.fields
from django.db import migrations, models

# Each stored row's means, from its JSON object keyed by criterion pk to an array in the
# order of its stage's grid (by position), as `services._stage_aggregates_refresh` writes
# them from now on.
COPY_MEANS = """
UPDATE jury_dossieraggregate a
SET criteria = ARRAY(
    SELECT (a.criteria_json ->> c.id::text)::float8
    FROM jury_criterion c
    WHERE c.stage_id = a.stage_id
    ORDER BY c.position
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0009_dossier_aggregate_ranks"),
    ]

    operations = [
        migrations.RenameField(
            model_name="dossieraggregate", old_name="criteria", new_name="criteria_json"
        ),
        migrations.AddField(
            model_name="dossieraggregate",
            name="criteria",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.FloatField(null=True), blank=True, default=list, size=None
            ),
        ),
        migrations.RunSQL(COPY_MEANS, migrations.RunSQL.noop),
        migrations.RemoveField(model_name="dossieraggregate", name="criteria_json"),
    ]
