"""Matching: 1:1 comparison of templates (MCC cylinders with LSS-R consolidation).

``compare(a, b)`` returns a similarity 0..1 (higher is more similar); ``comparison(a, b)``
also returns the matched minutia pairs for an examiner's overlay. ``search`` ranks a
gallery's subjects for a tenprint probe; ``threshold(fmr)`` is the calibrated score for a
false match rate. Cylinders of recently used templates are cached.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from ..template import Template
from .calibration import threshold
from .compare import Comparison, compare_cylinders, score_cylinders
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

#: Cylinders of recently compared templates, most recent last. Bounded: a rolled template's
#: cylinders take up to about 0.3 MB (mostly the pairwise geometry of its minutiae), and a
#: search touches many gallery templates once.
_CACHE_SIZE = 1024
_cache: OrderedDict[int, Cylinders] = OrderedDict()
_watched: set[int] = set()  # templates with a finalizer that evicts them when they die
_lock = threading.Lock()


def _forget(key: int) -> None:
    with _lock:
        _cache.pop(key, None)
        _watched.discard(key)


def prepare(template: Template | Cylinders, params: MatchParameters | None = None) -> Cylinders:
    """The cylinders of a template, cached for the most recently used templates.

    Hold on to the result (``compare`` accepts it in place of the template) to keep a
    template's cylinders for as long as you need them.
    """
    if isinstance(template, Cylinders):
        return template
    if not isinstance(template, Template):
        raise TypeError(f"expected a Template, got {type(template).__name__}")
    if params is not None and params != DEFAULT_PARAMETERS:
        return cylinders(template, params)
    key = id(template)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = cylinders(template, DEFAULT_PARAMETERS)
    with _lock:
        if key not in _watched:
            _watched.add(key)
            weakref.finalize(template, _forget, key)
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def comparison(
    a: Template | Cylinders, b: Template | Cylinders, params: MatchParameters | None = None
) -> Comparison:
    """Compare two templates; the result has the score and the matched minutia pairs."""
    p = DEFAULT_PARAMETERS if params is None else params
    return compare_cylinders(prepare(a, params), prepare(b, params), p)


def compare(a: Template | Cylinders, b: Template | Cylinders) -> float:
    """Similarity of two templates, 0 (nothing in common) … 1 (identical); empty gives 0."""
    return score_cylinders(prepare(a), prepare(b), DEFAULT_PARAMETERS)
