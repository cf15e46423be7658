"""Competitions: organisers set them up; anyone reads a public competition through the selectors."""

from __future__ import annotations

import rules

from aigc_contest.web.accounts.rules import is_organiser

rules.add_perm("contests.manage_competition", is_organiser)
rules.add_perm("contests.export_participants", is_organiser)
# Setting a competition up (its pages and `aigc-contest competition apply`); asked with the competition.
rules.add_perm("contests.add_competition", is_organiser)
rules.add_perm("contests.view_competition", is_organiser)
rules.add_perm("contests.change_competition", is_organiser)
