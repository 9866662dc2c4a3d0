"""The house's layout holds: no import cycle, imports at the top, no source file too long.

The import graph is read from the source (ast), in-function imports included, over the
core, the adapters and the MariaDB plug-in: a cycle hidden in a function body is a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import mediation_domain

ROOT = Path(mediation_domain.__file__).parents[2]
PACKAGES = {
    "mediation_domain": ROOT / "src" / "mediation_domain",
    "mediation_adapters": ROOT / "adapters" / "mediation_adapters",
    "mediation_mariadb": ROOT / "adapters" / "mediation-mariadb" / "src" / "mediation_mariadb",
}
MOST_LINES = 400
# Imported inside a function only because they come with an optional extra (http) or are
# needed only when that extra is used: everything else is imported at the top.
OPTIONAL = {
    "uvicorn",
    "starlette",
    "mediation_adapters.entrypoints.http",
    # the publish extra (nats-py, aio-pika): imported when a target of theirs is named
    "mediation_adapters.publishing.nats_sink",
    "mediation_adapters.publishing.amqp_sink",
}


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules an import statement names (a `from X import y` names X.y if a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:  # relative: from the module's package
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in MODULES else base


def _imports(module: str) -> Iterator[tuple[str, ast.Import | ast.ImportFrom, bool]]:
    """(imported module, statement, at the top?) for every import of `module`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for statement in tree.body:  # under `if TYPE_CHECKING:`: for the type checker only
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            top.update(id(node) for node in ast.walk(statement))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name in _imported(module, node):
                yield name, node, id(node) in top


def _graph() -> dict[str, set[str]]:
    return {
        module: {name for name, _, _ in _imports(module) if name in MODULES and name != module}
        for module in MODULES
    }


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the modules along it; [] when there is none."""
    done: set[str] = set()
    for start in sorted(graph):
        path: list[str] = []
        on_path: set[str] = set()
        stack = [(start, iter(sorted(graph[start])))]
        if start in done:
            continue
        path.append(start)
        on_path.add(start)
        while stack:
            node, following = stack[-1]
            nxt = next(following, None)
            if nxt is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in done:
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
                on_path.add(nxt)
    return []


def test_the_check_reads_every_package():
    assert {"mediation_domain.case", "mediation_adapters.bootstrap"} <= set(MODULES)
    assert "mediation_mariadb.store" in MODULES
    assert "mediation_adapters.bootstrap" in _graph()["mediation_adapters.entrypoints.cli"]


def test_no_import_cycle_anywhere_in_function_imports_included():
    assert _cycle(_graph()) == []


def test_the_cycle_check_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_imports_are_at_the_top_except_for_optional_extras():
    inside = {
        f"{module} imports {name} in a function (line {node.lineno})"
        for module in MODULES
        for name, node, at_top in _imports(module)
        if not at_top and not any(name == o or name.startswith(o + ".") for o in OPTIONAL)
    }
    assert inside == set()


def test_no_source_file_is_over_400_lines():
    sources = [*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("adapters").rglob("*.py")]
    assert len(sources) > 50  # the check sees them
    long = {
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in sources
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == set()


def test_test_modules_have_names_of_their_own() -> None:
    """pytest imports test files by basename (rootdir mode): two of one name fail collection."""
    folders = [ROOT / "tests", ROOT / "adapters" / "mediation-mariadb" / "tests"]
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted(p for folder in folders for p in folder.rglob("test_*.py")):
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(ROOT)} and {path.relative_to(ROOT)}")
        seen.setdefault(path.name, path)
    assert not clashes, clashes
