"""Novels and their jobs now live in the works app (works 0002 carried them across)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0002_studiojob"),
        ("works", "0002_carry_drafts"),
    ]

    operations = [
        migrations.DeleteModel(name="StudioJob"),
        migrations.DeleteModel(name="StudioWork"),
    ]
