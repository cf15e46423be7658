"""Choice conditions and variable updates: a small expression language parsed here (never ``eval``).

Grammar of a condition (keywords are lower case; whitespace is free)::

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum        := unary (("+" | "-") unary)*
    unary      := "-" unary | atom
    atom       := NAME | INT | STRING | "true" | "false" | "(" expr ")"
    NAME       := [A-Za-z_][A-Za-z0-9_]*     (not a keyword)
    INT        := [0-9]+
    STRING     := '"' (any character but '"' or '\\', or '\\"', or '\\\\')* '"'

Examples: ``courage >= 2 and not has_key``, ``name == "Mei"``, ``(gold - 3) > 0 or lucky``.

Types: variables are ``bool``, ``int`` or ``str``. ``and``/``or``/``not`` accept any type and use
truthiness (0, "" and false are false) and always yield a bool; ``<``, ``<=``, ``>``, ``>=`` compare two
ints or two strings; ``==``/``!=`` need both sides of the same type; ``+``/``-`` take ints.

A choice's ``sets`` maps a variable to its new value, ``{"has_key": true, "name": "Mei"}``; for an
``int`` variable a string ``"+N"`` or ``"-N"`` adds or subtracts N (``{"courage": "+1"}``), reading the
variable first. For a ``str`` variable every string is a plain value.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

VarType = Literal["bool", "int", "str"]
Value = bool | int | str

KEYWORDS = frozenset({"and", "or", "not", "true", "false"})
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
INCREMENT_RE = re.compile(r"[+-][0-9]+\Z")
MAX_CONDITION_CHARS = 500
MAX_DEPTH = 40


class ConditionError(ValueError):
    """A condition that does not parse or type-check; ``column`` is 1-based (0 when not positional)."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(f"{message} (at column {column})" if column else message)
        self.message = message
        self.column = column


# --- syntax tree: tuples keep it small and easy to serialise for the HTML player -----------------------
# ("var", name) ("lit", value) ("not", a) ("and", a, b) ("or", a, b) ("cmp", op, a, b) ("arith", op, a, b)
# ("neg", a)
Node = tuple[Any, ...]

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<int>[0-9]+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"(?:[^"\\]|\\["\\])*")
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\(|\))
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # int, name, str, op, kw, end
    text: str
    column: int


def _tokenize(source: str) -> list[_Token]:
    if len(source) > MAX_CONDITION_CHARS:
        raise ConditionError(f"condition is longer than {MAX_CONDITION_CHARS} characters")
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if not match:
            char = source[pos]
            hint = " (strings use double quotes)" if char == "'" else ""
            if char == '"':
                raise ConditionError("unterminated string", pos + 1)
            if source.startswith("&&", pos) or source.startswith("||", pos) or char == "!":
                hint = ' (write "and", "or", "not")'
            if char == "=":
                hint = ' (compare with "==")'
            raise ConditionError(f"unexpected character {char!r}{hint}", pos + 1)
        kind = match.lastgroup or ""
        text = match.group()
        if kind != "ws":
            if kind == "name" and text in KEYWORDS:
                kind = "kw"
            tokens.append(_Token(kind, text, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.index = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, kind: str, text: str) -> bool:
        token = self.peek()
        if token.kind == kind and token.text == text:
            self.index += 1
            return True
        return False

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise ConditionError("condition is empty")
        tree = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise ConditionError(f"unexpected {token.text!r}", token.column)
        return tree

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError("condition is nested too deeply", self.peek().column)

    def or_expr(self) -> Node:
        left = self.and_expr()
        while self.accept("kw", "or"):
            left = ("or", left, self.and_expr())
        return left

    def and_expr(self) -> Node:
        left = self.not_expr()
        while self.accept("kw", "and"):
            left = ("and", left, self.not_expr())
        return left

    def not_expr(self) -> Node:
        if self.accept("kw", "not"):
            self._enter()
            inner = self.not_expr()
            self.depth -= 1
            return ("not", inner)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARE:
            self.take()
            right = self.sum()
            after = self.peek()
            if after.kind == "op" and after.text in _COMPARE:
                raise ConditionError("comparisons cannot be chained; join them with 'and'", after.column)
            return ("cmp", token.text, left, right)
        return left

    def sum(self) -> Node:
        left = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            op = self.take().text
            left = ("arith", op, left, self.unary())
        return left

    def unary(self) -> Node:
        if self.accept("op", "-"):
            self._enter()
            inner = self.unary()
            self.depth -= 1
            return ("neg", inner)
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "int":
            return ("lit", int(token.text))
        if token.kind == "str":
            return ("lit", _unquote(token.text))
        if token.kind == "kw" and token.text in ("true", "false"):
            return ("lit", token.text == "true")
        if token.kind == "name":
            return ("var", token.text)
        if token.kind == "op" and token.text == "(":
            self._enter()
            inner = self.or_expr()
            self.depth -= 1
            closing = self.peek()
            if not self.accept("op", ")"):
                raise ConditionError("missing ')'", closing.column)
            return inner
        if token.kind == "end":
            raise ConditionError("condition ends too early", token.column)
        raise ConditionError(f"unexpected {token.text!r}", token.column)


def _unquote(text: str) -> str:
    return re.sub(r"\\([\"\\])", r"\1", text[1:-1])


def quote(value: str) -> str:
    """A string literal of this language for ``value``."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def parse_condition(source: str) -> Node:
    """The syntax tree of ``source``; raises ConditionError."""
    return _Parser(source).parse()


def variables_read(tree: Node) -> set[str]:
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "var":
            found.add(node[1])
        elif node[0] in ("not", "neg"):
            stack.append(node[1])
        elif node[0] in ("and", "or"):
            stack.extend(node[1:])
        elif node[0] in ("cmp", "arith"):
            stack.extend(node[2:])
    return found


def type_of(value: Any) -> VarType:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "str"


def check_types(tree: Node, types: Mapping[str, VarType]) -> VarType:
    """The type of ``tree``; raises ConditionError on undeclared variables or mixed types."""
    kind = tree[0]
    if kind == "lit":
        return type_of(tree[1])
    if kind == "var":
        if tree[1] not in types:
            raise ConditionError(f"variable {tree[1]!r} is not declared")
        return types[tree[1]]
    if kind == "not":
        check_types(tree[1], types)
        return "bool"
    if kind in ("and", "or"):
        check_types(tree[1], types)
        check_types(tree[2], types)
        return "bool"
    if kind == "neg":
        if check_types(tree[1], types) != "int":
            raise ConditionError("'-' needs a number")
        return "int"
    left, right = check_types(tree[2], types), check_types(tree[3], types)
    if kind == "arith":
        if left != "int" or right != "int":
            raise ConditionError(f"'{tree[1]}' needs two numbers, got {_A[left]} and {_A[right]}")
        return "int"
    if left != right:
        raise ConditionError(f"'{tree[1]}' compares {_A[left]} with {_A[right]}")
    if tree[1] not in ("==", "!=") and left == "bool":
        raise ConditionError(f"'{tree[1]}' cannot order true/false values")
    return "bool"


_A = {"bool": "a true/false value", "int": "a number", "str": "a string"}


def to_source(tree: Node) -> str:
    """Canonical text of a tree in this language (fully parenthesised where needed)."""
    return render(tree, name=lambda n: n, literal=_literal, ops={})


def _literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return quote(value)


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "arith": 5, "neg": 6, "var": 7, "lit": 7}


def render(
    tree: Node,
    name: Callable[[str], str],
    literal: Callable[[Value], str],
    ops: Mapping[str, str],
) -> str:
    """Render ``tree`` in another language: ``ops`` renames operators/keywords (``{"==": "is"}``)."""

    def op(text: str) -> str:
        return ops.get(text, text)

    def wrap(child: Node, parent_level: int, strict: bool = False) -> str:
        text = walk(child)
        level = _PRECEDENCE[child[0]]
        if level < parent_level or (strict and level == parent_level):
            return f"({text})"
        return text

    def walk(node: Node) -> str:
        kind = node[0]
        if kind == "var":
            return name(node[1])
        if kind == "lit":
            return literal(node[1])
        if kind == "not":
            return f"{op('not')} {wrap(node[1], 3)}"
        if kind == "neg":
            return f"-{wrap(node[1], 6)}"
        if kind in ("and", "or"):
            level = _PRECEDENCE[kind]
            return f"{wrap(node[1], level)} {op(kind)} {wrap(node[2], level, strict=True)}"
        level = _PRECEDENCE[kind]
        return (
            f"{wrap(node[2], level, strict=kind == 'cmp')} {op(node[1])} {wrap(node[3], level, strict=True)}"
        )

    return walk(tree)


# --- compilation to closures over a list of variable values (the playthrough engine's hot path) ---------
Compiled = Callable[[list[Value]], Any]


def compile_condition(tree: Node, index: Mapping[str, int]) -> Compiled:
    """A function of the state list (values in ``index`` order) that evaluates ``tree``."""
    kind = tree[0]
    if kind == "lit":
        value = tree[1]
        return lambda state: value
    if kind == "var":
        slot = index[tree[1]]
        return lambda state: state[slot]
    if kind == "not":
        inner = compile_condition(tree[1], index)
        return lambda state: not inner(state)
    if kind == "neg":
        inner = compile_condition(tree[1], index)
        return lambda state: -inner(state)
    if kind == "and":
        left, right = compile_condition(tree[1], index), compile_condition(tree[2], index)
        return lambda state: bool(left(state)) and bool(right(state))
    if kind == "or":
        left, right = compile_condition(tree[1], index), compile_condition(tree[2], index)
        return lambda state: bool(left(state)) or bool(right(state))
    fn = _COMPARE[tree[1]] if kind == "cmp" else (operator.add if tree[1] == "+" else operator.sub)
    a, b = tree[2], tree[3]
    # Fast paths for the common "variable OP literal" shape.
    if a[0] == "var" and b[0] == "lit":
        slot, constant = index[a[1]], b[1]
        return lambda state: fn(state[slot], constant)
    left, right = compile_condition(a, index), compile_condition(b, index)
    return lambda state: fn(left(state), right(state))


# --- sets -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SetOp:
    """One update: ``mode`` is "set" (value) or "add" (int delta)."""

    var: str
    mode: Literal["set", "add"]
    value: Value


def parse_set(var: str, value: Any, var_type: VarType | None) -> SetOp:
    """Interpret one ``sets`` entry for a variable of ``var_type``; raises ConditionError."""
    if var_type is None:
        raise ConditionError(f"variable {var!r} is not declared")
    if var_type == "int" and isinstance(value, str):
        if not INCREMENT_RE.match(value):
            raise ConditionError(f"{var!r} is a number: set it to a number or '+N'/'-N', not {value!r}")
        return SetOp(var, "add", int(value))
    if type_of(value) != var_type or not isinstance(value, bool | int | str):
        raise ConditionError(f"{var!r} is a {var_type}, cannot set it to {value!r}")
    return SetOp(var, "set", value)
