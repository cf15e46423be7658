"""The application editor: the entry's team (and helping teachers) on application entries."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.works.rules import may_edit_work, may_view_work


@rules.predicate
def is_application_entry(user: Any, entry: Any) -> bool:
    return bool(entry is not None and getattr(entry, "work_type", None) == "application")


rules.add_perm("applications.view_application", may_view_work & is_application_entry)
rules.add_perm("applications.edit_application", may_edit_work & is_application_entry)
