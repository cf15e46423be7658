from django.db import migrations, models


class Migration(migrations.Migration):
    """A new kind of work: the fine-tuning track's model (a training set, a recipe, a LoRA, a model card)."""

    dependencies = [
        ("works", "0003_application_kind"),
    ]

    operations = [
        migrations.AlterField(
            model_name="work",
            name="kind",
            field=models.CharField(
                choices=[
                    ("image", "Picture"),
                    ("storybook", "Storybook"),
                    ("novel", "Interactive novel"),
                    ("application", "Application"),
                    ("finetuned_model", "Fine-tuned model"),
                ],
                max_length=20,
            ),
        ),
    ]
