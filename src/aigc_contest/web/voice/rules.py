"""Voice input: students and teachers (who help them) may speak into a prompt box."""

from __future__ import annotations

import rules

from aigc_contest.web.accounts.rules import is_student, is_teacher

rules.add_perm("voice.use_voice_input", is_student | is_teacher)
