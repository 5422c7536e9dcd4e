"""The layering rules: crm never imports Qt or ui; ui never touches the database directly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "crm": {"PySide6", "shiboken6", "ui"},
    "ui": {"peewee", "playhouse", "sqlite3"},
}


def imported_top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("package", "banned"), sorted(FORBIDDEN.items()))
def test_layering(package: str, banned: set[str]) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found under {package}/"
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported_top_level_names(path) & banned)
    ]
    assert not offenders, "\n".join(offenders)


def module_level_imports(path: Path) -> set[str]:
    """Top-level names imported when the module is loaded (not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_matplotlib_is_imported_lazily_everywhere() -> None:
    """Start-up stays fast: no module imports matplotlib when it is loaded."""
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("crm", "ui")
        for path in sorted((ROOT / package).rglob("*.py"))
        if "matplotlib" in module_level_imports(path)
    ]
    assert not offenders, offenders


def test_only_chart_modules_use_matplotlib_in_crm() -> None:
    allowed = {"charts.py", "report.py"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "crm").rglob("*.py"))
        if path.name not in allowed and "matplotlib" in imported_top_level_names(path)
    ]
    assert not offenders, offenders


def test_the_version_in_the_code_matches_the_package() -> None:
    import tomllib

    from crm import __version__

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__


def _test_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "tests").rglob("*.py"))


def joins_outside(tree: ast.AST) -> list[int]:
    """Lines that join '..' or the shared folder beside a checkout onto a path with ``/``."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and isinstance(node.right, ast.Constant)
        and str(node.right.value).strip("/\\") in {"..", "shared"}
    ]


def test_no_test_path_leaves_the_repository() -> None:
    """A clone with nothing beside it passes: every file a test reads is under the repository.

    Every module-level path a test module builds resolves inside the repository, and no
    path a test joins steps up or into the shared folder beside a developer's checkout.
    """
    import importlib

    offenders: list[str] = []
    for path in _test_modules():
        rel = path.relative_to(ROOT)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [
            f"{rel}:{line} joins a path outside the repository" for line in joins_outside(tree)
        ]
        module = importlib.import_module(".".join(rel.with_suffix("").parts))
        for name, value in vars(module).items():
            if isinstance(value, Path) and not value.resolve().is_relative_to(ROOT):
                offenders.append(f"{rel}: {name} = {value} is outside the repository")
    assert not offenders, "\n".join(offenders)


def _join(*parts: str) -> ast.Module:
    """The tree of ``X = ROOT / part / part ...``, built without a path in the source."""
    value: ast.expr = ast.Name("ROOT", ast.Load())
    for part in parts:
        value = ast.BinOp(value, ast.Div(), ast.Constant(part))
    tree = ast.Module([ast.Assign([ast.Name("X", ast.Store())], value)], [])
    return ast.fix_missing_locations(tree)


def test_the_path_check_catches_a_path_that_steps_out_of_the_repository() -> None:
    # The kind of join that once broke a fresh clone: up a level, then into the shared folder.
    assert joins_outside(_join("..", "fixtures")) == [1]
    assert joins_outside(_join("shared", "fixtures")) == [1]
    assert joins_outside(_join("tests", "data")) == []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(packages: tuple[str, ...] = ("crm", "ui")) -> dict[str, set[str]]:
    """Which project module imports which, counting imports inside functions too."""
    paths = {_module_name(p): p for pkg in packages for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # ``from crm.importing import engine`` imports the submodule engine
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for target in targets:
                while target and target not in paths:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycles() -> None:
    cycles = import_cycles(import_graph())
    assert not cycles, "modules that import each other, directly or round a loop:\n" + "\n".join(
        " <-> ".join(group) for group in cycles
    )


def test_the_cycle_check_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
