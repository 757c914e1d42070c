"""How a station process's C heap treats the arrays it frees (glibc ``mallopt``).

Extraction, rendering and search allocate and free arrays of megabytes, print after print.
glibc serves blocks above its ``mmap`` threshold with fresh mappings whose pages the kernel
faults in and zeroes on first touch, and returns heap memory above its trim threshold to the
system; both thresholds adapt to the largest block freed so far, so how often that happens
depends on the process's history. With fixed thresholds (and the adaptation thereby off)
such blocks come from the heap, which keeps what was freed: a process's memory levels off at
its largest print and the faults stop, whatever came before. Numbers and results are
unchanged; only where the bytes live.

Measured on 2 idle cores:

- ``/usr/bin/time station seed --subjects 150`` on a new gallery: 69.6 s wall, 11.7 s system
  CPU without the setting; 63.9 s, 1.0 s with it (the 1 000-subject seed before it: 38 M minor
  page faults).
- one 500 x 500 extraction after another, with the benchmark's rendering in between: about
  1 100 minor page faults and 2.7-3.2 ms of system CPU per print without it; 2-11 faults and
  under 0.1 ms with it (``resource.getrusage`` around ``extract``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["INTERACTIVE_TRIM", "WORKER_TRIM", "keep_freed_memory"]

#: glibc ``mallopt`` parameters (``<malloc.h>``).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: Blocks up to this size come from the heap, not from a fresh ``mmap`` (glibc's ceiling for
#: the setting on 64-bit systems); the largest array of a rolled print is about 11 MB.
_MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap a seeding worker keeps rather than returns.
WORKER_TRIM = 1 << 30
#: The same for the ``station`` process itself (window or command): a rolled print's
#: extraction peaks well under this, and a desktop process should not hold more idle.
INTERACTIVE_TRIM = 256 * 1024 * 1024


def keep_freed_memory(trim: int = WORKER_TRIM) -> bool:
    """Let this process reuse the memory of freed arrays instead of returning it to the system.

    Parameters
    ----------
    trim : int
        Bytes of free memory at the top of the heap kept for reuse.

    Returns
    -------
    bool
        Whether both settings were accepted; False (and nothing changed) where the C library
        is not glibc.
    """
    if isinstance(trim, bool) or not isinstance(trim, int) or not 0 < trim < 1 << 31:
        raise ValueError(f"trim must be a whole number of bytes below 2 GiB, got {trim!r}")
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, trim)
    )
