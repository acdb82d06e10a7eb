"""Process-wide settings for a process that measures meshes: the command line and the sandbox's
warm parent call `tune_process()` once at start. Library calls never change them.
"""

from __future__ import annotations

import sys

_TUNED = False


def tune_process() -> None:
    """Hand the GIL over quickly between the measuring threads, and keep big blocks in reach.

    glibc raises its mmap threshold as big blocks are freed and then keeps them in per-thread
    arenas, where the other threads cannot reuse them. Fixing it at 64 MB keeps that in bounds
    (a 65 MB STL peaks at ~3x its size) while blocks up to 64 MB come from the heap and are
    reused there; lower thresholds cost page faults (each fresh page costs a fault, ~0.5 ms per
    MB here). Freed memory at the top of the heap is kept (up to 512 MB) instead of going back
    to the OS after every step, only to be faulted in again by the next: with both, measuring
    a 65 MB STL takes 40 % fewer page faults. Such a process either exits after one
    model (the command line, a sandbox child) or holds little (the sandbox's warm parent).
    """
    global _TUNED
    if _TUNED:
        return
    _TUNED = True
    sys.setswitchinterval(0.0005)
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD (glibc only)
        libc.mallopt(-1, 512 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass
