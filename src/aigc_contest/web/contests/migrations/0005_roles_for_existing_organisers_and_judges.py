"""Roles became per competition: everyone who was an organiser or a judge of the whole platform keeps what
they could do, as the matching role on every competition that exists now. An organiser could do everything,
roles included, so they become owners; a judge becomes a judge."""

from __future__ import annotations

from django.db import migrations

MATCHING = {"organiser": "owner", "judge": "judge"}


def give_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    Competition = apps.get_model("contests", "Competition")
    CompetitionRole = apps.get_model("contests", "CompetitionRole")
    competitions = list(Competition.objects.values_list("pk", flat=True))
    rows = [
        CompetitionRole(competition_id=competition, user_id=user, role=MATCHING[role])
        for user, role in User.objects.filter(role__in=list(MATCHING)).values_list("pk", "role")
        for competition in competitions
    ]
    CompetitionRole.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("contests", "0004_roles_invitations_join_requests"),
    ]

    operations = [migrations.RunPython(give_roles, migrations.RunPython.noop)]
