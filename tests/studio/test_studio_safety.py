"""The novel studio screens a child's words under their school's settings, records refusals, and never
echoes the refused words (not even a part's title) in the message."""

from __future__ import annotations

import copy

import pytest

from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.works import services
from aigc_contest.web.works.models import WorkKind

pytestmark = pytest.mark.django_db


def test_a_blocked_title_is_not_echoed_and_the_school_policy_applies(novel_setup) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.moderation.models import SafetyEvent, SchoolSafetyPolicy

    work = services.start(novel_setup.student, novel_setup.entry, WorkKind.NOVEL)
    SchoolSafetyPolicy.objects.create(school=novel_setup.student.school, extra_blocked_terms="broccoli")
    document = copy.deepcopy(work.document)
    document["nodes"][1]["title"] = "The broccoli tower"  # only this school blocks the word
    with pytest.raises(ServiceError) as refused:
        services.save(novel_setup.student, work, document=document, revision=1)
    assert refused.value.code == "refused"
    assert "broccoli" not in refused.value.message and "Part 2" in refused.value.message
    event = SafetyEvent.objects.get()
    assert (event.user, event.outcome, event.school) == (novel_setup.student, "refused", novel_setup.student.school)
    work.refresh_from_db()
    assert work.revision == 1
