"""The examples in the core's docstrings are true: each core module's doctests run here.

One test per module of ``station.core`` (found by walking the package, so a new module is
covered without editing this file). Running them from a test, rather than with pytest's
``--doctest-modules`` over the whole tree, keeps the GUI modules out and adds only the
examples' own cost (a few seconds).
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import station.core

_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _core_modules() -> list[str]:
    names = [station.core.__name__]
    for info in pkgutil.walk_packages(station.core.__path__, prefix="station.core."):
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _core_modules())
def test_core_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, out.getvalue()


def test_the_core_has_examples_to_run() -> None:
    """Guard against the walk above silently finding nothing (every test would then pass)."""
    names = _core_modules()
    assert "station.core.slap" in names and "station.core.match.metrics" in names
    examples = sum(
        len(test.examples)
        for name in names
        for test in doctest.DocTestFinder().find(importlib.import_module(name), name)
    )
    assert examples >= 19


def test_a_false_example_fails() -> None:
    """The runner used above does report a wrong expected output."""

    def wrong() -> None:
        """
        >>> 1 + 1
        3
        """

    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    out = io.StringIO()
    for test in doctest.DocTestFinder().find(wrong, "wrong", globs={}):
        runner.run(test, out=out.write)
    assert runner.summarize(verbose=False).failed == 1
    assert "Expected:\n    3\nGot:\n    2" in out.getvalue()
