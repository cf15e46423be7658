from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_existing_versions(apps, schema_editor):  # type: ignore[no-untyped-def]
    Entry = apps.get_model("entries", "Entry")
    EntryVersion = apps.get_model("entries", "EntryVersion")
    counts = (
        EntryVersion.objects.filter(entry=OuterRef("pk")).order_by().values("entry").annotate(n=Count("id")).values("n")
    )
    Entry.objects.update(version_count=Coalesce(Subquery(counts), 0))


class Migration(migrations.Migration):

    dependencies = [
        ("entries", "0002_reminder_sent_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="version_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(count_existing_versions, migrations.RunPython.noop),
    ]
