"""The web layer's shape: every permission asked for exists, each app owns its rules, core imports no
feature app, no two modules import each other (in any loop), and apps import only the apps below them.

The imports are read from the source (every `import`, at the top of a module or inside a function), so a
cycle hidden inside a function counts like any other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import rules

import aigc_contest.web

WEB = Path(aigc_contest.web.__file__).parent
PACKAGE = "aigc_contest.web"

# Lowest first: an app may import the apps on its own level's left and below, never one above it.
LAYERS: list[set[str]] = [
    {"core"},
    {"accounts"},
    {"contests", "jobs"},
    {"notifications"},
    {"moderation"},
    {"voice"},
    {"entries"},
    {"works"},
    {"judging", "studio", "storybooks", "imagestudio", "applications", "finetuning"},
    {"certificates"},
    {"demo", "api", "urls", "settings", "wsgi"},
]
# What still runs upwards, each with its reason; the list may only get shorter. (The judging organiser page
# shows the certificates panel through the certificates app's template tag, not an import.)
KNOWN_UPWARD: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for path in WEB.rglob("*.py"):
        relative = path.relative_to(WEB)
        if "migrations" in relative.parts:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The web modules that the file imports (`from package import module` names the module)."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            short = node.module.removeprefix(PACKAGE + ".")
            candidates = [
                f"{node.module}.{alias.name}" if f"{short}.{alias.name}" in MODULES else node.module
                for alias in node.names
            ]
        else:
            continue
        for name in candidates:
            if name.startswith(PACKAGE + "."):
                short = name[len(PACKAGE) + 1 :]
                while short and short not in MODULES:
                    short = short.rpartition(".")[0]
                if short:
                    named.add(short)
    return named


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _app(module: str) -> str:
    return module.split(".")[0]


def _layer(app: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if app in layer)


def test_every_web_app_has_a_layer() -> None:
    missing = {_app(m) for m in MODULES if m not in {"__init__"}} - set().union(*LAYERS) - {""}
    assert not missing, f"place {sorted(missing)} in LAYERS"


def test_core_imports_no_feature_app() -> None:
    wrong = {
        (m, t) for m, targets in GRAPH.items() if _app(m) == "core" for t in targets if _app(t) != "core"
    }
    assert not wrong


def test_no_import_cycles_among_web_modules() -> None:
    seen: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        seen.add(node)
        path.append(node)
        on_path.add(node)
        for target in sorted(GRAPH.get(node, ())):
            if target in on_path:
                cycles.append(path[path.index(target) :] + [target])
            elif target not in seen:
                visit(target)
        path.pop()
        on_path.discard(node)

    for module in sorted(GRAPH):
        if module not in seen:
            visit(module)
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_apps_import_only_the_apps_below_them() -> None:
    upward = {
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if _app(module) != _app(target) and _layer(_app(target)) > _layer(_app(module))
    }
    same_level = {
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if _app(module) != _app(target)
        and _layer(_app(target)) == _layer(_app(module))
        and _layer(_app(module)) < 8
    }
    assert upward - KNOWN_UPWARD == set()
    assert same_level == set()


def _literal_perms(tree: ast.AST) -> set[str]:
    """Permission names the code asks for: in has_perm/require_perm/require calls and `*perm*` arguments."""
    found: set[str] = set()

    def perm_like(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            app, dot, action = node.value.partition(".")
            if dot and app in {a for layer in LAYERS for a in layer} and action.isidentifier():
                return node.value
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"has_perm", "require_perm", "require", "has_perms"}:
                found.update(p for arg in node.args if (p := perm_like(arg)))
            found.update(
                p for kw in node.keywords if kw.arg and "perm" in kw.arg and (p := perm_like(kw.value))
            )
        elif isinstance(node, ast.arguments):
            params = node.posonlyargs + node.args
            defaults = dict(
                zip([a.arg for a in params[len(params) - len(node.defaults) :]], node.defaults, strict=True)
            )
            defaults |= {
                a.arg: d for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True) if d is not None
            }
            found.update(
                p for arg, default in defaults.items() if "perm" in arg and (p := perm_like(default))
            )
    return found


def test_every_permission_the_code_asks_for_exists() -> None:
    asked = set().union(
        *(_literal_perms(ast.parse(path.read_text(encoding="utf-8"))) for path in MODULES.values())
    )
    templates = "\n".join(p.read_text(encoding="utf-8") for p in (WEB / "templates").rglob("*.html"))
    for word in templates.split():
        if word.startswith("perms.") or word.startswith('"') and "." in word:
            candidate = word.removeprefix("perms.").strip('"%}')
            if candidate.partition(".")[0] in {a for layer in LAYERS for a in layer}:
                asked.add(candidate)
    assert len(asked) >= 25, sorted(asked)  # the scan finds the platform's permissions
    assert sorted(p for p in asked if not rules.perm_exists(p)) == []


@pytest.mark.parametrize("rules_file", sorted(WEB.glob("*/rules.py")), ids=lambda p: p.parent.name)
def test_each_app_registers_only_its_own_permissions(rules_file: Path) -> None:
    tree = ast.parse(rules_file.read_text(encoding="utf-8"))
    registered = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_perm"
        and isinstance(node.args[0], ast.Constant)
    ]
    assert registered
    assert {name.partition(".")[0] for name in registered} == {rules_file.parent.name}


@pytest.mark.parametrize(
    ("code", "language"),
    [("en", "en"), ("zh-hant", "zh-Hant"), ("zh-hans", "zh-Hans"), ("zh-hk", "zh-Hant"), ("zh-tw", "zh-Hant"),
     ("zh-cn", "zh-Hans"), ("zh-sg", "zh-Hans"), ("fr", "en")],
)  # fmt: skip
def test_one_mapping_names_the_product_language(code: str, language: str) -> None:
    from django.utils import translation

    from aigc_contest.web.core.translation import suffix_for
    from aigc_contest.web.moderation.services import child_language
    from aigc_contest.web.works.base import language as works_language

    with translation.override(code):
        assert child_language() == works_language() == language
    assert suffix_for(code) == {"en": "en", "zh-Hant": "zh_hant", "zh-Hans": "zh_hans"}[language]
