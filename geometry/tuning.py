"""Process-wide settings for a process that measures meshes: the command line and the sandbox's
warm parent call `tune_process()` once at start. Library calls never change them.
"""

from __future__ import annotations

import sys

_TUNED = False


def tune_process() -> None:
    """Hand the GIL over quickly between the measuring threads, and return big blocks to the OS.

    glibc raises its mmap threshold as big blocks are freed and then keeps them in per-thread
    arenas, where the other threads cannot reuse them: with the measuring threads that held
    ~30 MB more at the peak for a 65 MB STL. Fixing it at 32 MB avoids that; lower thresholds
    cost page faults. Both settings are harmless for everything else such a process does.
    """
    global _TUNED
    if _TUNED:
        return
    _TUNED = True
    sys.setswitchinterval(0.0005)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (glibc only)
    except (OSError, AttributeError):
        pass
