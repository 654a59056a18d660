"""Administrations now say which article their name takes (« du ministère de la Culture »,
« de la DINUM », « de l’INSEE »). Existing rows get the article guessed from their name;
staff correct the few the guess gets wrong in the admin."""

from django.db import migrations, models

from eig.programme.french import guess_article


def fill_articles(apps, schema_editor):
    Administration = apps.get_model("programme", "Administration")
    administrations = list(Administration.objects.filter(article="").only("pk", "name"))
    for administration in administrations:
        administration.article = guess_article(administration.name)
    Administration.objects.bulk_update(administrations, ["article"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("programme", "0006_migrate_memberships"),
    ]

    operations = [
        migrations.AddField(
            model_name="administration",
            name="article",
            field=models.CharField(
                blank=True,
                choices=[
                    ("le", "le (le ministère…, du ministère…, au ministère…)"),
                    ("la", "la (la direction…, de la direction…, à la direction…)"),
                    ("l'", "l’ (l’agence…, de l’agence…, à l’agence…)"),
                    ("les", "les (les Archives nationales…, des Archives…, aux Archives…)"),
                    ("aucun", "aucun (Pôle emploi, de Pôle emploi, à Pôle emploi)"),
                ],
                help_text=(
                    "L’article que prend le nom dans une phrase. Laissé vide, il est déduit du "
                    "nom (« Ministère… » : le, « Direction… » : la, voyelle : l’)."
                ),
                max_length=5,
                verbose_name="article",
            ),
        ),
        migrations.RunPython(fill_articles, migrations.RunPython.noop),
    ]
