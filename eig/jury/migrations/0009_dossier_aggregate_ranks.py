from django.db import migrations, models

# The stored rows of every stage ranked once, as `services._stage_ranks_refresh` does after
# each refresh from now on (written out here: a migration must not follow later code).
RANK_EXISTING = """
UPDATE jury_dossieraggregate a
SET rank = r.rank, normalised_rank = r.normalised_rank
FROM (
    SELECT id,
        CASE WHEN weighted IS NULL THEN NULL
        ELSE RANK() OVER (PARTITION BY stage_id ORDER BY weighted DESC NULLS LAST) END AS rank,
        CASE WHEN normalised IS NULL THEN NULL
        ELSE RANK() OVER (PARTITION BY stage_id ORDER BY normalised DESC NULLS LAST) END
            AS normalised_rank
    FROM jury_dossieraggregate
) r
WHERE a.id = r.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0008_dossier_aggregates_per_stage"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossieraggregate",
            name="normalised_rank",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="rang normalisé"),
        ),
        migrations.AddField(
            model_name="dossieraggregate",
            name="rank",
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name="rang"),
        ),
        migrations.RunSQL(RANK_EXISTING, migrations.RunSQL.noop),
    ]
