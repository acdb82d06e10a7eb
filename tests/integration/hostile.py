"""A model reader that misbehaves on request: the stand-in for a STEP file that crashes or hangs
OpenCASCADE. It runs in the sandbox's child process, like the real one."""

from __future__ import annotations

import os
import signal
import time

from geometry.pipeline import run_in_child

CRASH = b"CRASH-THE-READER"
HANG = b"HANG-THE-READER"
HANG_DRAWING = b"HANG-THE-DRAWING"  # measures as usual, hangs while drawing the previews


def analyze(path: str, out_dir: str, **options):
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if CRASH in head:
        os.kill(os.getpid(), signal.SIGSEGV)
    if HANG in head or (HANG_DRAWING in head and options.get("png", True)):
        while True:
            time.sleep(1)
    return run_in_child(path, out_dir, **options)


def step_text(marker: bytes) -> bytes:
    """A STEP header the upload gate accepts, carrying the marker."""
    return b"ISO-10303-21;\nHEADER;\n/* " + marker + b" */\nENDSEC;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\n"
