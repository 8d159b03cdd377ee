"""The layers hold: no import cycle anywhere in the package, and the import-linter contracts.

The cycle check reads every ``import`` in the source (AST), at module level and inside
functions alike, because a deferred import is still an arrow between modules: it only
moves the moment the cycle bites.  Imports under ``if TYPE_CHECKING:`` are left out of the
module check (they never run); the package-level check counts them too.

The contracts themselves (the core never imports a face, the server, textual,
prompt_toolkit or aiosmtpd; no face imports another) live in pyproject.toml's
``[tool.importlinter]`` and are checked by running ``lint-imports`` here, so the README's
test command checks them.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "smtpshell"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                inside.update(id(child) for child in ast.walk(statement))
    return inside


def _imported(node: ast.Import | ast.ImportFrom, package: str, modules: set[str]) -> Iterator[str]:
    """The package's own modules ``node`` imports (``from a import b`` is ``a.b`` when that
    is a module, else ``a``)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        names = []
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            names.append(submodule if submodule in modules else source)
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        if name:
            yield name


def import_graph(*, type_checking: bool) -> dict[str, set[str]]:
    """module -> the package's modules it imports anywhere in its source."""
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = set() if type_checking else _type_checking_nodes(tree)
        graph[name] = {
            target
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skip
            for target in _imported(node, package, modules)
            if target != name
        }
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path ``[a, b, ..., a]``, or None when the graph has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def package_graph() -> dict[str, set[str]]:
    """The same arrows between the package's parts (``smtpshell.shell``, ``smtpshell.tui``,
    the top-level modules ...), type-only imports included."""

    def part(module: str) -> str:
        return ".".join(module.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for module, targets in import_graph(type_checking=True).items():
        if module == "smtpshell":
            continue  # the curated surface re-exports; it is nobody's dependency
        graph.setdefault(part(module), set()).update(
            part(t) for t in targets if part(t) != part(module) and t != "smtpshell"
        )
    return graph


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_scan_sees_deferred_imports() -> None:
    graph = import_graph(type_checking=False)
    # learn_command imports its faces inside functions only
    assert "smtpshell.repl.lesson" in graph["smtpshell.learn_command"]


def test_no_module_imports_itself_back() -> None:
    cycle = find_cycle(import_graph(type_checking=False))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_two_parts_of_the_package_import_each_other() -> None:
    cycle = find_cycle(package_graph())
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle or [])


def test_import_linter_contracts_hold() -> None:
    """import-linter is in the ``test`` extra: a missing one fails here, never skips."""
    command = shutil.which("lint-imports")
    assert command is not None, "lint-imports not found: pip install -e '.[test]'"
    paths = [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    done = subprocess.run(
        [command, "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and "KEPT" in done.stdout
