"""Storybooks and their steps now live in the works app (works 0002 carried them across)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("storybooks", "0001_initial"),
        ("works", "0002_carry_drafts"),
    ]

    operations = [
        migrations.DeleteModel(name="StorybookStep"),
        migrations.DeleteModel(name="StorybookWork"),
    ]
