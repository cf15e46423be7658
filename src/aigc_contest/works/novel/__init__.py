"""Interactive novels: a flat graph of nodes, its validator and playthroughs, and Twine/ink/HTML interop."""

from aigc_contest.works.novel.conditions import ConditionError, parse_condition
from aigc_contest.works.novel.engine import PlaythroughReport, compile_novel, playthroughs
from aigc_contest.works.novel.model import Choice, Illustration, Node, Novel, NovelFormatError, Variable
from aigc_contest.works.novel.validate import Defect, Limits, validate

__all__ = [
    "Choice",
    "ConditionError",
    "Defect",
    "Illustration",
    "Limits",
    "Node",
    "Novel",
    "NovelFormatError",
    "PlaythroughReport",
    "Variable",
    "compile_novel",
    "parse_condition",
    "playthroughs",
    "validate",
]
