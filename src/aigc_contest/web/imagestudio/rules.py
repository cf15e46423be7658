"""Image studio: the entry's team members and teachers, on image entries only."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.entries.rules import is_helping_teacher, is_team_member


@rules.predicate
def is_image_entry(user: Any, entry: Any) -> bool:
    return bool(entry is not None and getattr(entry, "work_type", None) == "image")


rules.add_perm("imagestudio.create_images", (is_team_member | is_helping_teacher) & is_image_entry)
