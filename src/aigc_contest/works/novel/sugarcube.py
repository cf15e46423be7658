"""SugarCube 2 passage markup for novel choices, conditions and updates.

A choice is one line: ``[[Label|Target]]``; with updates a setter link ``[[Label|Target][$x to 1, $n += 1]]``
(or ``<<link "Label" "Target">><<set $x to 1>><</link>>`` when the link text cannot be written as a link);
with a condition either form wrapped in ``<<if $n gte 2>>...<</if>>``. Prose that holds markup characters
is wrapped in ``\"\"\"`` (verbatim), its double quotes written as ``&quot;``. Variables start out in
``StoryInit``: ``<<set $x to 0>>``.
"""

from __future__ import annotations

import re

from aigc_contest.works.novel.conditions import Node, SetOp, Value, quote
from aigc_contest.works.novel.harlowe import split_if
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
    read_set_value,
    unquote,
)

_ASSIGN = r"\$([A-Za-z_][A-Za-z0-9_]*)\s*(to|=|\+=|-=)\s*(" + LITERAL + r")"
_ASSIGN_RE = re.compile(_ASSIGN)
_SETTER_RE = re.compile(r"\s*" + _ASSIGN + r"\s*(?:[,;]|\Z)")
_SET_MACRO_RE = re.compile(r"<<set\s+" + _ASSIGN + r"\s*>>")
_LINK_MACRO_RE = re.compile(
    r"<<link\s+(" + STRING + r")\s+(" + STRING + r")\s*>>((?:<<set\s[^>]*>>)*)<</link>>"
)
_GOTO_RE = re.compile(
    r"<<(?:goto|link|button)\s+("
    + STRING
    + r")(?:\s+("
    + STRING
    + r"))?\s*>>|<<goto\s+\[\[([^\]\n]*)\]\]\s*>>"
)


class SugarCube(StoryFormat):
    key = "sugarcube"
    twine_name = "SugarCube"
    version = "2.37.3"
    words = {
        "is": "==",
        "isnot": "!=",
        "eq": "==",
        "neq": "!=",
        "gt": ">",
        "gte": ">=",
        "lt": "<",
        "lte": "<=",
    }
    ops_out = {"==": "is", "!=": "isnot"}

    def verbatim(self, text: str) -> str:
        return "&quot;".join(f'"""{part}"""' if part else "" for part in text.split('"'))

    def unverbatim(self, text: str) -> str | None:
        if not re.fullmatch(r'(?:"""[^"]*"""|&quot;)+', text):
            return None
        return re.sub(r'"""([^"]*)"""', r"\1", text).replace("&quot;", '"')

    def choice_line(self, choice: Choice, tree: Node | None, ops: list[SetOp]) -> str:
        link = link_markup(choice.label, choice.target, pipe_first=True)
        if link is not None and ops:
            setter = ", ".join(f"${op.var} {' '.join(self.set_value_out(op))}" for op in ops)
            link = f"{link[:-2]}][{setter}]]"
            parsed = LINK_RE.fullmatch(link)
            if not parsed or parse_link_inner(parsed.group(1))[:2] != (choice.label, choice.target):
                link = None
        if link is None:
            sets = "".join(f"<<set ${op.var} {' '.join(self.set_value_out(op))}>>" for op in ops)
            link = f"<<link {quote(choice.label)} {quote(choice.target)}>>{sets}<</link>>"
        if tree is not None:
            return f"<<if {self.condition_out(tree)}>>{link}<</if>>"
        return link

    def parse_choice_line(self, line: str) -> ParsedChoice | None:
        condition = None
        split = split_if(line, "<<if ", ">>")
        if split is not None:
            if not split[1].endswith("<</if>>"):
                return None
            condition = self.condition_in(split[0])
            if condition is None:
                return None
            line = split[1][: -len("<</if>>")]
        sets: dict[str, Value] = {}
        link = LINK_RE.fullmatch(line)
        if link:
            label, target, setter = parse_link_inner(link.group(1))
            if setter is not None:
                pos = 0
                while pos < len(setter):
                    match = _SETTER_RE.match(setter, pos)
                    if not match or match.end() == pos:
                        return None
                    entry = read_set_value(match.group(1), match.group(2), match.group(3))
                    if entry is None:
                        return None
                    sets[entry[0]] = entry[1]
                    pos = match.end()
            return ParsedChoice(label, target, condition, sets)
        macro = _LINK_MACRO_RE.fullmatch(line)
        if not macro:
            return None
        body = macro.group(3)
        for match in _SET_MACRO_RE.finditer(body):
            entry = read_set_value(match.group(1), match.group(2), match.group(3))
            if entry is None:
                return None
            sets[entry[0]] = entry[1]
        if _SET_MACRO_RE.sub("", body):
            return None
        return ParsedChoice(unquote(macro.group(1)), unquote(macro.group(2)), condition, sets)

    def init_text(self, values: dict[str, Value]) -> str:
        return "\n".join(f"<<set ${name} to {literal(value)}>>" for name, value in values.items())

    def init_values(self, text: str) -> dict[str, Value]:
        return {
            m.group(1): parse_literal(m.group(3))
            for m in _SET_MACRO_RE.finditer(text)
            if m.group(2) in ("to", "=")
        }

    def is_init_passage(self, name: str, tags: list[str]) -> bool:
        return name == "StoryInit"

    def goto_choices(self, text: str) -> list[tuple[str, str]]:
        found = []
        for match in _GOTO_RE.finditer(text):
            if match.group(3) is not None:
                found.append(parse_link_inner(match.group(3))[:2])
            elif match.group(2) is not None:
                found.append((unquote(match.group(1)), unquote(match.group(2))))
            elif match.group(0).startswith("<<goto"):
                target = unquote(match.group(1))
                found.append((target, target))
        return found

    def strip_markup(self, text: str) -> str:
        text = LINK_RE.sub(lambda m: parse_link_inner(m.group(1))[0], text)
        text = re.sub(r"<<.*?>>|/\*.*?\*/", "", text, flags=re.S)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


SUGARCUBE = SugarCube()
