"""The layers stay apart: an import-direction contract, checked on the source and at run time.

The contract is the table ``MAY_IMPORT`` below (layer -> the other station layers it may
import) plus two third-party rules (Qt only in the GUI and its test kit, SQLite only in the
gallery) and one call rule (only the gallery runs SQL). ``check_tree`` reads every
``station/**/*.py`` with ``ast`` -- absolute ``station.x`` imports, relative ``from ..x``
imports, imports inside functions and ``TYPE_CHECKING`` blocks,
``importlib.import_module("...")`` -- and returns one message per breach naming the file, the
line and the rule. A test feeds it a small fake tree that breaks each rule, so the contract
cannot pass by finding nothing.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import station

# ---------------------------------------------------------------------------------------------
# The contract
# ---------------------------------------------------------------------------------------------

#: Layer -> the other station layers its modules may import (a layer may always import itself).
#: interchange and agencies are planned layers: their rules apply as soon as they exist.
#: settings is station/settings.py: it reads its TOML file and builds core's disposition policy.
#: The command line imports the GUI only inside the function that opens the window.
_CONTRACT = {
    "core":        "",
    "interchange": "core",
    "gallery":     "core interchange",
    "scanner":     "core interchange",
    "settings":    "core",
    "agencies":    "core interchange gallery",
    "service":     "core interchange gallery scanner agencies settings",
    "training":    "core interchange gallery scanner agencies settings service",
    "benchmark":   "core interchange gallery scanner agencies settings service training",
    "gui":         "core interchange gallery scanner agencies settings service training",
    "testing":     "core interchange gallery scanner agencies settings service training gui",
    "cli":         "core interchange gallery scanner agencies settings service training "
                   "benchmark gui testing",
    "station":     "",  # station/__init__.py
}  # fmt: skip
MAY_IMPORT: dict[str, frozenset[str]] = {
    layer: frozenset(allowed.split()) for layer, allowed in _CONTRACT.items()
}

#: Top-level modules (a path under ``station/``'s parent, or ``station.NAME``) -> layer.
#: Packages not named here are their own layer; a module of no known layer fails the check.
LAYER_OF_MODULE: dict[str, str] = {
    "settings": "settings",
    "cli": "cli",
    "bench_extract": "benchmark",  # ``station bench-extract``: measures the extractor
}

#: Third-party top-level packages -> the only layers that may import them.
THIRD_PARTY_ONLY_IN: dict[str, frozenset[str]] = {
    "PySide6": frozenset({"gui"}),
    "shiboken6": frozenset({"gui", "testing"}),
    "sqlite3": frozenset({"gallery"}),
    "sqlite_utils": frozenset({"gallery"}),
    "apsw": frozenset({"gallery"}),
    "_wsq": frozenset({"interchange"}),  # the NBIS WSQ codec: through station.interchange.wsq
    "wsq": frozenset({"interchange"}),
}

#: Only these layers may call ``.execute`` / ``.executemany`` / ``.executescript`` / ``.query``
#: with SQL text.
SQL_LAYERS = frozenset({"gallery"})

#: Named exceptions to the contract: (file relative to the repository, imported module) ->
#: why it is tolerated for now. Every entry must still be needed (a test checks).
ALLOWED_EXCEPTIONS: dict[tuple[str, str], str] = {}

_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "query"})
_SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|REPLACE|VACUUM|ATTACH|BEGIN|"
    r"COMMIT|ROLLBACK|SAVEPOINT)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One breach of the contract."""

    path: str  # relative to the directory holding ``station/``
    line: int
    target: str  # the imported module, or the called method
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.target}: {self.rule}"


def _layer_of(module: str) -> str | None:
    """The layer of a dotted ``station...`` module name (None for other packages)."""
    parts = module.split(".")
    if parts[0] != "station":
        return None
    if len(parts) == 1:
        return "station"
    return LAYER_OF_MODULE.get(parts[1], parts[1])


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    """Dotted name of the module at ``path`` and whether it is a package ``__init__``."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every imported module, absolute, with its line: relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target == "station" or (node.level and not node.module):
                # ``from station import gallery`` / ``from .. import gallery``: submodules
                found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, target))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def _sql_calls(tree: ast.Module) -> list[tuple[int, str]]:
    """Calls of an ``execute``-like method with SQL text among their string arguments."""
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _SQL_METHODS
        ):
            continue
        texts = [
            sub.value
            for arg in [*node.args, *(k.value for k in node.keywords)]
            for sub in ast.walk(arg)
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
        ]
        if any(_SQL_WORDS.search(text) for text in texts):
            found.append((node.lineno, f".{node.func.attr}(...)"))
    return found


def check_tree(root: Path) -> list[Violation]:
    """Check every module under the ``station`` package directory ``root``."""
    violations = []
    for path in sorted(root.rglob("*.py")):
        module, is_package = _module_name(path, root)
        rel = path.relative_to(root.parent).as_posix()
        layer = _layer_of(module)
        if layer not in MAY_IMPORT:
            violations.append(Violation(rel, 1, module, f"no layer for {layer!r} in MAY_IMPORT"))
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for line, target in _imports(tree, module, is_package):
            if (rel, target) in ALLOWED_EXCEPTIONS:
                continue
            top = target.split(".")[0]
            target_layer = _layer_of(target)
            if target_layer is not None:
                if target_layer != layer and target_layer not in MAY_IMPORT[layer]:
                    allowed = ", ".join(sorted(MAY_IMPORT[layer])) or "no other layer"
                    rule = f"{layer} may import {allowed}, not {target_layer}"
                    violations.append(Violation(rel, line, target, rule))
            elif top in THIRD_PARTY_ONLY_IN and layer not in THIRD_PARTY_ONLY_IN[top]:
                only = " and ".join(sorted(THIRD_PARTY_ONLY_IN[top]))
                rule = f"only {only} may import {top} ({layer} may not)"
                violations.append(Violation(rel, line, target, rule))
        if layer not in SQL_LAYERS:
            for line, call in _sql_calls(tree):
                rule = f"only {' and '.join(sorted(SQL_LAYERS))} runs SQL ({layer} may not)"
                violations.append(Violation(rel, line, call, rule))
    return violations


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------

STATION = Path(station.__file__).parent


def test_the_station_keeps_the_import_contract() -> None:
    violations = check_tree(STATION)
    assert not violations, "layer contract broken:\n" + "\n".join(map(str, violations))


def test_the_contract_names_known_layers_and_points_one_way() -> None:
    for layer, allowed in MAY_IMPORT.items():
        assert allowed <= MAY_IMPORT.keys(), (layer, allowed - MAY_IMPORT.keys())
        for other in allowed:
            assert layer not in MAY_IMPORT[other], f"{layer} and {other} may import each other"
    for owners in THIRD_PARTY_ONLY_IN.values():
        assert owners <= MAY_IMPORT.keys()


def test_every_allowed_exception_is_still_needed() -> None:
    saved = dict(ALLOWED_EXCEPTIONS)
    try:
        ALLOWED_EXCEPTIONS.clear()
        found = {(v.path, v.target) for v in check_tree(STATION)}
    finally:
        ALLOWED_EXCEPTIONS.update(saved)
    stale = set(saved) - found
    assert not stale, f"allow-list entries no longer needed, remove them: {sorted(stale)}"


def test_the_checker_sees_the_real_tree() -> None:
    """The scan reaches every layer that exists and finds imports in them."""
    layers = {_layer_of(_module_name(p, STATION)[0]) for p in STATION.rglob("*.py")}
    assert {"core", "gallery", "scanner", "service", "gui", "cli", "settings"} <= layers
    cli = ast.parse((STATION / "cli.py").read_text(encoding="utf-8"))
    targets = {t for _, t in _imports(cli, "station.cli", False)}
    assert {"station.gui", "station.gallery", "station.settings"} <= targets  # lazy, relative


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")


def test_the_checker_catches_each_kind_of_breach(tmp_path: Path) -> None:
    root = tmp_path / "station"
    _write(root, "__init__.py", "")
    _write(root, "core/__init__.py", "from . import maths\n")
    _write(
        root,
        "core/maths.py",
        """\
        import numpy as np
        from station.gallery import open_gallery


        def helper():
            from ..service import booking
            import PySide6.QtCore
            return np, open_gallery, booking, PySide6
        """,
    )
    _write(root, "gallery/__init__.py", "import sqlite3\nfrom station.core import maths\n")
    _write(
        root,
        "service/booking.py",
        """\
        import importlib
        from .. import gallery


        def count(db):
            sqlite_utils = importlib.import_module("sqlite_utils")
            db.execute(
                "SELECT count(*) FROM subjects"
            )
            return db.query("select 1"), sqlite_utils, gallery, db.execute(None)
        """,
    )
    _write(root, "gui/window.py", "from PySide6.QtWidgets import QWidget\nimport station.cli\n")
    _write(root, "cli.py", "def main():\n    from .gui import window\n    return window\n")
    _write(root, "plugins/extra.py", "")

    found = {(v.path, v.line, v.target): v.rule for v in check_tree(root)}

    assert found == {
        ("station/core/maths.py", 2, "station.gallery"): "core may import no other layer, "
        "not gallery",
        ("station/core/maths.py", 6, "station.service"): "core may import no other layer, "
        "not service",
        ("station/core/maths.py", 7, "PySide6.QtCore"): "only gui may import PySide6 "
        "(core may not)",
        ("station/service/booking.py", 6, "sqlite_utils"): "only gallery may import "
        "sqlite_utils (service may not)",
        ("station/service/booking.py", 7, ".execute(...)"): "only gallery runs SQL "
        "(service may not)",
        ("station/service/booking.py", 10, ".query(...)"): "only gallery runs SQL "
        "(service may not)",
        ("station/gui/window.py", 2, "station.cli"): "gui may import agencies, core, gallery, "
        "interchange, scanner, service, settings, training, not cli",
        ("station/plugins/extra.py", 1, "station.plugins.extra"): "no layer for 'plugins' in "
        "MAY_IMPORT",
    }
    message = str(next(v for v in check_tree(root) if v.line == 7 and "execute" in v.target))
    assert message == "station/service/booking.py:7: .execute(...): only gallery runs SQL " + (
        "(service may not)"
    )


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


_LOADED = """\
    import sys

    def loaded(*prefixes):
        return sorted(
            m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in prefixes)
        )
"""


def test_importing_the_whole_core_loads_no_qt_no_sql_and_no_other_layer() -> None:
    out = _run(
        _LOADED
        + """\
    import importlib, pkgutil
    import station.core
    for info in pkgutil.walk_packages(station.core.__path__, prefix="station.core."):
        importlib.import_module(info.name)
    from station.core.synth import impression
    from station.core.extract import extract
    extract(impression(1, "R2", 0, kind="flat")[0])
    print(len([m for m in sys.modules if m.startswith("station.core.")]))
    print(loaded("PySide6", "shiboken6", "sqlite3", "sqlite_utils", "apsw"))
    print(sorted({m.split(".")[1] for m in sys.modules if m.startswith("station.")}))
    """
    )
    count, qt_sql, layers = out.splitlines()
    assert int(count) == len(list((STATION / "core").rglob("*.py"))) - 1  # all of them
    assert qt_sql == "[]"
    assert layers == "['core']"


def test_importing_the_gallery_loads_no_qt_and_no_higher_layer() -> None:
    out = _run(
        _LOADED
        + """\
    import importlib, pkgutil
    import station.gallery
    for info in pkgutil.walk_packages(station.gallery.__path__, prefix="station.gallery."):
        importlib.import_module(info.name)
    print(loaded("PySide6", "shiboken6"))
    print(sorted({m.split(".")[1] for m in sys.modules if m.startswith("station.")}))
    """
    )
    qt, layers = out.splitlines()
    assert qt == "[]"
    assert layers == "['core', 'gallery', 'interchange']"


def test_the_services_scanner_and_settings_load_no_qt() -> None:
    out = _run(
        _LOADED
        + """\
    import station.service, station.service.drive, station.service.seed
    import station.scanner, station.scanner.mock, station.scanner.files, station.settings
    print(loaded("PySide6", "shiboken6", "station.gui", "station.cli"))
    """
    )
    assert out == "[]"
