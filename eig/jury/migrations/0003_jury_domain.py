from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jury", "0002_criterion_description_max_length"),
    ]

    operations = [
        # Every jury before the registry evaluated défis.
        migrations.AddField(
            model_name="jury",
            name="domain",
            field=models.CharField(default="defis", max_length=40, verbose_name="dossiers évalués"),
            preserve_default=False,
        ),
    ]
