"""Who may see and change a work: the same people as its entry (members and helping teachers change it;
the team's teachers and organisers may look). The editors name their own permissions with these."""

from __future__ import annotations

import rules

from aigc_contest.web.accounts.rules import is_organiser
from aigc_contest.web.entries.rules import is_helping_teacher, is_team_member, is_team_teacher

may_view_work = is_team_member | is_team_teacher | is_organiser
may_edit_work = is_team_member | is_helping_teacher

rules.add_perm("works.view_work", may_view_work)
rules.add_perm("works.edit_work", may_edit_work)
