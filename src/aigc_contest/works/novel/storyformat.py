"""What Harlowe and SugarCube passages share: Twine links, literals, and translating conditions.

Twine links: ``[[Target]]``, ``[[Text|Target]]``, ``[[Text->Target]]`` (the rightmost ``->`` divides),
``[[Target<-Text]]`` (the leftmost ``<-`` divides); SugarCube may add a setter: ``[[Text|Target][$x to 1]]``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from aigc_contest.works.novel.conditions import (
    ConditionError,
    Node,
    SetOp,
    Value,
    parse_condition,
    quote,
    render,
)
from aigc_contest.works.novel.model import Choice

# A link's inner text never starts with '[' (so "(if: $x)[[[A->B]]]" finds the inner link) nor spans lines.
LINK_RE = re.compile(r"\[\[(?!\[)([^\n]*?)\]\]")
LITERAL = r'-?[0-9]+|true|false|"(?:[^"\\\n]|\\.)*"'
STRING = r'"(?:[^"\\\n]|\\.)*"'


def unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def parse_literal(text: str) -> Value:
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"'):
        return unquote(text)
    return int(text)


def literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return quote(value)


def parse_link_inner(inner: str) -> tuple[str, str, str | None]:
    """(label, target, setter or None) of the text between ``[[`` and ``]]``."""
    setter = None
    if "][" in inner:
        inner, setter = inner.split("][", 1)
    if "->" in inner:
        label, target = inner.rsplit("->", 1)
    elif "<-" in inner:
        target, label = inner.split("<-", 1)
    elif "|" in inner:
        label, target = inner.split("|", 1)
    else:
        label = target = inner
    return label, target, setter


def find_links(text: str) -> list[tuple[str, str]]:
    return [parse_link_inner(m.group(1))[:2] for m in LINK_RE.finditer(text)]


def link_markup(label: str, target: str, pipe_first: bool) -> str | None:
    """A ``[[...]]`` link that reads back as (label, target), or None when no link form can say it."""
    forms = []
    if label == target:
        forms.append(f"[[{target}]]")
    bar, arrow, back = f"[[{label}|{target}]]", f"[[{label}->{target}]]", f"[[{target}<-{label}]]"
    forms += [bar, arrow, back] if pipe_first else [arrow, back, bar]
    for form in forms:
        match = LINK_RE.fullmatch(form)
        if match and parse_link_inner(match.group(1)) == (label, target, None) and "\n" not in form:
            return form
    return None


@dataclass
class ParsedChoice:
    label: str
    target: str
    condition: str | None = None
    sets: dict[str, Value] = field(default_factory=dict)

    def to_choice(self) -> Choice:
        return Choice(label=self.label, target=self.target, condition=self.condition, sets=self.sets)


_TARGET_TOKEN_RE = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<var>\$[A-Za-z_][A-Za-z0-9_]*)|(?P<num>[0-9]+)'
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>()!+-]))"
)


class StoryFormat(ABC):
    key: str
    twine_name: str
    version: str
    words: dict[str, str]  # target-language words -> ours ("is" -> "==")
    ops_out: dict[str, str]  # ours -> target language
    is_not = False  # whether "is not" means "!=" (Harlowe) rather than "== not …" (SugarCube)

    def condition_out(self, tree: Node) -> str:
        return render(tree, name=lambda n: "$" + n, literal=literal, ops=self.ops_out)

    def condition_in(self, source: str) -> str | None:
        """Our condition for a condition written in this format, or None when it uses more than we model."""
        out: list[str] = []
        pos = 0
        source = source.strip()
        while pos < len(source):
            match = _TARGET_TOKEN_RE.match(source, pos)
            if not match or match.end() == pos:
                return None
            pos = match.end()
            kind = match.lastgroup
            text = match.group(kind or "")
            if kind == "var":
                out.append(text[1:])
            elif kind == "word":
                if text == "not" and self.is_not and out and out[-1] == "==":  # Harlowe "is not"
                    out[-1] = "!="
                elif text in self.words:
                    out.append(self.words[text])
                elif text in ("and", "or", "not", "true", "false"):
                    out.append(text)
                else:
                    return None
            elif kind == "op":
                out.append({"===": "==", "!==": "!=", "&&": "and", "||": "or", "!": "not"}.get(text, text))
            else:
                out.append(text)
        ours = " ".join(out)
        try:
            parse_condition(ours)
        except ConditionError:
            return None
        return ours

    @abstractmethod
    def verbatim(self, text: str) -> str: ...

    @abstractmethod
    def unverbatim(self, text: str) -> str | None: ...

    @abstractmethod
    def choice_line(self, choice: Choice, tree: Node | None, ops: list[SetOp]) -> str: ...

    @abstractmethod
    def parse_choice_line(self, line: str) -> ParsedChoice | None: ...

    @abstractmethod
    def init_text(self, values: dict[str, Value]) -> str: ...

    @abstractmethod
    def init_values(self, text: str) -> dict[str, Value]: ...

    @abstractmethod
    def is_init_passage(self, name: str, tags: list[str]) -> bool: ...

    @abstractmethod
    def goto_choices(self, text: str) -> list[tuple[str, str]]:
        """(label, target) of macro links and go-tos in passage text."""

    @abstractmethod
    def strip_markup(self, text: str) -> str:
        """Readable text of a passage: links become their label, macros go."""

    def set_value_out(self, op: SetOp) -> tuple[str, str]:
        """(operator word, value) for one update."""
        if op.mode == "add":
            return ("+=" if int(op.value) >= 0 else "-=", str(abs(int(op.value))))
        return ("to", literal(op.value))


# Risky characters that would turn prose into markup in a story format.
RISKY_RE = re.compile(r"[<>\[\]{}()$_*/\\`~^#|@&=']|''|--|\n[ \t]*[-*+#]")


def read_set_value(var: str, op: str, value: str) -> tuple[str, Value] | None:
    """A ``sets`` entry for ``$var op value`` (op: to, =, +=, -=)."""
    if op in ("+=", "-="):
        if not re.fullmatch(r"[0-9]+", value):
            return None
        return var, f"{'+' if op == '+=' else '-'}{value}"
    return var, parse_literal(value)


def quote_js(value: str) -> str:
    return quote(value)


SET_LIT = re.compile(LITERAL)
