"""Rounds made before shortlists stay what they were: each judges every submitted entry on its own (no
source round), and one already closed for scoring is recorded as closed when it was made, so the
organisers' page shows it closed and no promotion is offered from a round nobody closed."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    Round = apps.get_model("judging", "Round")
    Round.objects.filter(source__isnull=False).exclude(shortlist__isnull=False).update(source=None)
    for round_ in Round.objects.filter(is_open=False, closed_at__isnull=True):
        round_.closed_at = round_.created_at
        round_.save(update_fields=["closed_at"])


class Migration(migrations.Migration):
    dependencies = [("judging", "0004_round_shortlist_due_dates_reminders")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
