"""Who may see and change a studio storybook: the same people as any work (see works/rules.py)."""

from __future__ import annotations

import rules

from aigc_contest.web.works.rules import may_edit_work, may_view_work

rules.add_perm("storybooks.view_storybook", may_view_work)
rules.add_perm("storybooks.edit_storybook", may_edit_work)
