"""`{% entry_outcome entry as outcome %}`: an entry's published rank and award, for the entrants' own pages.

The entries app sits below judging and does not import it; its templates load this library instead. The
tag reads through the one embargo gate (`selectors.entry_outcome`), so before the announcement it gives
None and the page shows nothing."""

from __future__ import annotations

from typing import Any

from django import template

from aigc_contest.web.judging import selectors

register = template.Library()


@register.simple_tag
def entry_outcome(entry: Any) -> selectors.EntryOutcome | None:
    if entry is None or entry.version_count == 0:  # never submitted: nothing to rank
        return None
    return selectors.entry_outcome(entry)
