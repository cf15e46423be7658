"""Who may see and change a work: the same people as its entry (members and helping teachers change it;
the team's teachers and the competition's organisers and viewers may look). The editors name their own permissions with these."""

from __future__ import annotations

import rules

from aigc_contest.web.contests.rules import is_competition_viewer
from aigc_contest.web.entries.rules import is_helping_teacher, is_team_member, is_team_teacher

may_view_work = is_team_member | is_team_teacher | is_competition_viewer
may_edit_work = is_team_member | is_helping_teacher

rules.add_perm("works.view_work", may_view_work)
rules.add_perm("works.edit_work", may_edit_work)
# Drawing with a fine-tuning entry's LoRA (on that entry): only its own team's members and helping teachers.
# Which studios offer it (same competition, the studio's team inside the LoRA's team) is works.selectors.loras_for.
rules.add_perm("works.use_lora", may_edit_work)
