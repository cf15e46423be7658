"""Harlowe 3 passage markup for novel choices, conditions and updates.

A choice is one line: ``[[Label->Target]]``; with updates
``(link: "Label")[(set: $x to 1)(set: $n to it + 1)(go-to: "Target")]``; with a condition either form
wrapped in ``(if: $n >= 2)[...]``. Prose that holds markup characters is wrapped in backticks (verbatim).
Variables start out in a passage tagged ``startup``: ``(set: $x to 0)``.
"""

from __future__ import annotations

import re

from aigc_contest.works.novel.conditions import Node, SetOp, Value, quote
from aigc_contest.works.novel.model import Choice
from aigc_contest.works.novel.storyformat import (
    LINK_RE,
    LITERAL,
    STRING,
    ParsedChoice,
    StoryFormat,
    link_markup,
    literal,
    parse_link_inner,
    parse_literal,
    unquote,
)

_SET_RE = re.compile(
    r"\(set:\s*\$([A-Za-z_][A-Za-z0-9_]*)\s+to\s+(?:it\s*([+-])\s*([0-9]+)|(" + LITERAL + r"))\s*\)"
)
_SET_PLAIN = r"\(set:\s*\$[A-Za-z_][A-Za-z0-9_]*\s+to\s+(?:it\s*[+-]\s*[0-9]+|" + LITERAL + r")\s*\)"
_LINK_MACRO_RE = re.compile(
    r"\(link:\s*(" + STRING + r")\s*\)\[((?:" + _SET_PLAIN + r")*)\(go-?to:\s*(" + STRING + r")\s*\)\]"
)
_GOTO_RE = re.compile(
    r"\((?:go-?to|link-goto|link-reveal-goto|click-goto):\s*("
    + STRING
    + r")(?:\s*,\s*("
    + STRING
    + r"))?\s*\)"
)
_MACRO_START_RE = re.compile(r"\([A-Za-z][\w-]*:")


def split_if(line: str, opener: str, closer: str) -> tuple[str, str] | None:
    """(condition, rest) for ``opener COND closer rest``, skipping quoted strings and nested parentheses."""
    if not line.startswith(opener):
        return None
    depth, i, in_string = 0, len(opener), False
    while i < len(line):
        char = line[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "(":
            depth += 1
        elif line.startswith(closer, i) and depth == 0:
            return line[len(opener) : i], line[i + len(closer) :]
        elif char == ")":
            depth -= 1
        i += 1
    return None


class Harlowe(StoryFormat):
    key = "harlowe"
    twine_name = "Harlowe"
    version = "3.3.9"
    words = {"is": "=="}
    is_not = True
    ops_out = {"==": "is", "!=": "is not"}

    def verbatim(self, text: str) -> str:
        longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
        fence = "`" * (longest + 1)
        return f"{fence}{text}{fence}"

    def unverbatim(self, text: str) -> str | None:
        match = re.fullmatch(r"(`+)(.*?)\1", text, re.S)
        if match and not re.search(rf"(?<!`){match.group(1)}(?!`)", match.group(2)):
            return match.group(2)
        return None

    def choice_line(self, choice: Choice, tree: Node | None, ops: list[SetOp]) -> str:
        link = None if ops else link_markup(choice.label, choice.target, pipe_first=False)
        if link is None:
            sets = "".join(self._set(op) for op in ops)
            link = f"(link: {quote(choice.label)})[{sets}(go-to: {quote(choice.target)})]"
        if tree is not None:
            return f"(if: {self.condition_out(tree)})[{link}]"
        return link

    def _set(self, op: SetOp) -> str:
        if op.mode == "add":
            sign = "+" if int(op.value) >= 0 else "-"
            return f"(set: ${op.var} to it {sign} {abs(int(op.value))})"
        return f"(set: ${op.var} to {literal(op.value)})"

    def parse_choice_line(self, line: str) -> ParsedChoice | None:
        condition = None
        split = split_if(line, "(if:", ")[")
        if split is not None:
            if not split[1].endswith("]"):
                return None
            condition = self.condition_in(split[0])
            if condition is None:
                return None
            line = split[1][:-1]
        link = LINK_RE.fullmatch(line)
        if link:
            label, target, setter = parse_link_inner(link.group(1))
            if setter is not None:
                return None
            return ParsedChoice(label, target, condition)
        macro = _LINK_MACRO_RE.fullmatch(line)
        if not macro:
            return None
        sets: dict[str, Value] = {}
        body = macro.group(2)
        for match in _SET_RE.finditer(body):
            var, sign, amount, value = match.groups()
            sets[var] = f"{sign}{amount}" if sign else parse_literal(value)
        if _SET_RE.sub("", body):
            return None
        return ParsedChoice(unquote(macro.group(1)), unquote(macro.group(3)), condition, sets)

    def init_text(self, values: dict[str, Value]) -> str:
        return "\n".join(f"(set: ${name} to {literal(value)})" for name, value in values.items())

    def init_values(self, text: str) -> dict[str, Value]:
        return {
            m.group(1): parse_literal(m.group(4)) for m in _SET_RE.finditer(text) if m.group(4) is not None
        }

    def is_init_passage(self, name: str, tags: list[str]) -> bool:
        return "startup" in tags

    def goto_choices(self, text: str) -> list[tuple[str, str]]:
        found = []
        for match in _GOTO_RE.finditer(text):
            first, second = unquote(match.group(1)), match.group(2)
            found.append((first, unquote(second)) if second else (first, first))
        return found

    def strip_markup(self, text: str) -> str:
        text = LINK_RE.sub(lambda m: parse_link_inner(m.group(1))[0], text)
        out: list[str] = []
        i = 0
        while i < len(text):
            match = _MACRO_START_RE.match(text, i)
            if match:
                end = _closing_paren(text, i)
                if end > 0:
                    i = end + 1
                    continue
            out.append(text[i])
            i += 1
        return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def _closing_paren(text: str, start: int) -> int:
    depth, in_string = 0, False
    for i in range(start, len(text)):
        char = text[i]
        if in_string:
            if char == '"' and text[i - 1] != "\\":
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


HARLOWE = Harlowe()
