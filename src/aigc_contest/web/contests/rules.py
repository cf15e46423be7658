"""Competitions: organisers set them up; anyone reads a public competition through the selectors."""

from __future__ import annotations

import rules

from aigc_contest.web.accounts.rules import is_organiser

rules.add_perm("contests.manage_competition", is_organiser)
rules.add_perm("contests.export_participants", is_organiser)
# The participation lists (entries, teams, schools, teachers) and the per-school reports of a competition.
rules.add_perm("contests.view_participation", is_organiser)
rules.add_perm("contests.message_teachers", is_organiser)
