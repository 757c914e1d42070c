"""Seeding workers and the ``station`` process keep freed memory for reuse (identical
results, fewer page faults)."""

from __future__ import annotations

import subprocess
import sys

import pytest

_CHILD = """
import resource, sys
import numpy as np
from station.service.memory import keep_freed_memory
if sys.argv[1] == "keep":
    assert keep_freed_memory()
elif sys.argv[1] == "station":  # the command's entry point sets it (here refusing a command)
    from station.cli import main
    assert main(["extract"]) == 2
np.ones((1024, 1024)).sum()  # the heap has seen an 8 MB block once
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones((1024, 1024))  # 8 MB, filled, freed
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_freed_arrays_are_reused_without_page_faults() -> None:
    # Without the setting each 8 MB array is a fresh mapping: 2 048 pages faulted in per
    # round (fewer with transparent huge pages); with it the heap hands the same block back.
    kept = _faults("keep")
    assert kept < 200
    assert _faults("default") > 5 * max(kept, 20)
    assert _faults("station") < 200


def test_the_heap_setting_refuses_a_size_it_cannot_honour() -> None:
    from station.service.memory import keep_freed_memory

    for bad in (0, -1, 1 << 31, True, 2.5):
        with pytest.raises(ValueError, match="trim"):
            keep_freed_memory(bad)  # type: ignore[arg-type]
