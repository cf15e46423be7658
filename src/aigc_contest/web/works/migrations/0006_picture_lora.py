import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """The fine-tuned model (LoRA) and weight a work's pictures are drawn with."""

    dependencies = [
        ("works", "0005_pictures_named_one_way"),
    ]

    operations = [
        migrations.CreateModel(
            name="PictureLora",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("weight", models.FloatField(default=0.8)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("source", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                             to="works.work")),
                ("work", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE,
                                              related_name="picture_lora", to="works.work")),
            ],
            options={
                "verbose_name": "fine-tuned model of a work's pictures",
                "verbose_name_plural": "fine-tuned models of works' pictures",
            },
        ),
    ]
