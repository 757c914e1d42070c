"""Matching: 1:1 comparison of templates (MCC cylinders with LSS-R consolidation).

``compare(a, b)`` returns a similarity 0..1 (higher is more similar); ``comparison(a, b)``
also returns the matched minutia pairs for an examiner's overlay. Cylinders are computed once
per template and cached while the template lives.
"""

from __future__ import annotations

import weakref

from ..template import Template
from .calibration import threshold
from .compare import Comparison, compare_cylinders
from .cylinders import Cylinders, cylinders
from .params import DEFAULT_PARAMETERS, MatchParameters
from .search import Candidate, SearchGallery, search

__all__ = [
    "Candidate",
    "Comparison",
    "Cylinders",
    "MatchParameters",
    "SearchGallery",
    "compare",
    "comparison",
    "prepare",
    "search",
    "threshold",
]

_cache: dict[int, Cylinders] = {}


def prepare(template: Template | Cylinders, params: MatchParameters | None = None) -> Cylinders:
    """The cylinders of a template (computed once per template object with default params)."""
    if isinstance(template, Cylinders):
        return template
    if not isinstance(template, Template):
        raise TypeError(f"expected a Template, got {type(template).__name__}")
    if params is not None and params != DEFAULT_PARAMETERS:
        return cylinders(template, params)
    key = id(template)
    found = _cache.get(key)
    if found is None:
        found = cylinders(template, DEFAULT_PARAMETERS)
        _cache[key] = found
        weakref.finalize(template, _cache.pop, key, None)
    return found


def comparison(
    a: Template | Cylinders, b: Template | Cylinders, params: MatchParameters | None = None
) -> Comparison:
    """Compare two templates; the result has the score and the matched minutia pairs."""
    p = DEFAULT_PARAMETERS if params is None else params
    return compare_cylinders(prepare(a, params), prepare(b, params), p)


def compare(a: Template | Cylinders, b: Template | Cylinders) -> float:
    """Similarity of two templates, 0 (nothing in common) … 1 (identical); empty gives 0."""
    return comparison(a, b).score
