"""Who may see and change a studio storybook: the same people as its entry."""

from __future__ import annotations

import rules

from aigc_contest.web.contests.rules import is_competition_viewer
from aigc_contest.web.entries.rules import is_helping_teacher, is_team_member, is_team_teacher

rules.add_perm("storybooks.view_storybook", is_team_member | is_team_teacher | is_competition_viewer)
rules.add_perm("storybooks.edit_storybook", is_team_member | is_helping_teacher)
