"""Dependencies point one way: adapters -> core -> eventsourcing, attrs, the standard library."""

from __future__ import annotations

import ast
from pathlib import Path

import mediation_domain

CORE = Path(mediation_domain.__file__).parent
FORBIDDEN = {
    "mediation_adapters",
    "sqlite3",
    "psycopg",
    "psycopg2",
    "psycopg_pool",
    "eventsourcing.sqlite",
    "eventsourcing.postgres",
    "argparse",
    "click",
    "typer",
    "starlette",
    "fastapi",
    "uvicorn",
    "flask",
    "django",
    "http",
    "urllib",
    "socket",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


TEST_TOOLS = {"pytest", "hypothesis"}  # for mediation_domain.testing only


def _banned(name: str, banned: set[str]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def test_the_core_imports_no_infrastructure():
    offenders = {
        f"{path.relative_to(CORE)} imports {name}"
        for path in CORE.rglob("*.py")
        for name in _imports(path)
        if _banned(name, FORBIDDEN | (set() if "testing" in path.parts else TEST_TOOLS))
    }
    assert offenders == set()


def test_the_check_sees_the_core_modules():
    modules = {path.name for path in CORE.rglob("*.py")}
    assert {"case.py", "catalogue.py", "mediations.py", "values.py", "contract.py"} <= modules
    assert "eventsourcing.application" in _imports(CORE / "application" / "mediations.py")


TESTS = Path(__file__).parents[1]
_INSTALLERS = ("apt-get", "apt", "dpkg", "yum", "dnf", "apk", "brew")


def _calls_an_installer(path: Path) -> bool:
    """True when the file names a package manager to a call, or writes `apt-get install ...`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words = node.value.split()[:2]
            if len(words) == 2 and words[0] in _INSTALLERS and words[1] == "install":
                return True
        if isinstance(node, ast.Call) and any(
            isinstance(arg, ast.Constant) and arg.value in _INSTALLERS for arg in node.args
        ):
            return True
    return False


def test_no_test_installs_system_packages():
    # .ci/run installs what CI needs; a test that runs apt-get as root changes the machine.
    offenders = {
        str(path.relative_to(TESTS)) for path in TESTS.rglob("*.py") if _calls_an_installer(path)
    }
    assert offenders == set()


ADAPTERS = CORE.parents[1] / "adapters"
# Each database driver is imported by its own store module, nowhere else: the rest of
# the adapters reach a store through the ports and the registry.
DRIVERS = {
    "sqlite3": "mediation_adapters/storage/sqlite.py",
    "eventsourcing.sqlite": "mediation_adapters/storage/sqlite.py",
    "psycopg": "mediation_adapters/storage/postgres.py",
    "eventsourcing.postgres": "mediation_adapters/storage/postgres.py",
    "pymysql": "mediation-mariadb/src/mediation_mariadb/",
}


def test_each_database_driver_is_imported_by_its_store_module_only():
    offenders = {
        f"{path.relative_to(ADAPTERS)} imports {name}"
        for path in ADAPTERS.rglob("*.py")
        if "tests" not in path.parts
        for name in _imports(path)
        for driver, owner in DRIVERS.items()
        if _banned(name, {driver}) and not str(path.relative_to(ADAPTERS)).startswith(owner)
    }
    assert offenders == set()
    assert "sqlite3" in _imports(ADAPTERS / DRIVERS["sqlite3"])  # the check sees them


def _public(module: str) -> set[str]:
    """The names a module offers: its __all__, else every name without an underscore."""
    found = __import__(module, fromlist=["__name__"])
    return set(getattr(found, "__all__", {n for n in vars(found) if not n.startswith("_")}))


def test_the_mariadb_plug_in_uses_only_the_documented_api():
    """A third-party store is written against what docs/how-to/write-a-store-adapter.md names."""
    allowed = {  # what its section 2 lists
        "mediation_adapters.storage": {
            "StoreFactory", "StoreError", "redacted", "first_line", "open_bundle"
        },
        "mediation_adapters.storage.sql": {
            "Dialect", "Database", "SqlBundle", "SqlKeyStore", "SqlLedger", "SqlProjectionStore",
            "SqlProjectionStoreWithLog",
        },
        "mediation_domain": {"Mediations"},
        "mediation_domain.errors": {"quoted"},
        "mediation_domain.ports": _public("mediation_domain.ports"),
    }  # fmt: skip
    plug_in = ADAPTERS / "mediation-mariadb" / "src"
    offenders = set()
    for path in plug_in.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                ours = node.module.split(".")[0] in {"mediation_adapters", "mediation_domain"}
                names = {alias.name for alias in node.names}
                if ours and not names <= allowed.get(node.module, set()):
                    offenders.add(f"{path.name}: from {node.module} import {sorted(names)}")
            elif isinstance(node, ast.Import):
                offenders |= {
                    f"{path.name}: import {alias.name}"
                    for alias in node.names
                    if alias.name.split(".")[0] in {"mediation_adapters", "mediation_domain"}
                }
    assert offenders == set()
    assert any(plug_in.rglob("store.py"))
