"""Working folders and files under the storage's temporary folder, and the sweep of stale ones.

An analysis works in a folder of its own (`working_folder`) and holds a lock on it while it runs;
an upload writes its parts to `upload-*` files as they arrive. A process killed half-way leaves
them behind: `sweep` removes what nothing has touched for a while and no running analysis holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".lock"


@contextlib.contextmanager
def working_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder under `parent`, locked while the block runs and removed after it."""
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
    try:
        with open(folder / LOCK_NAME, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def sweep(parent: Path, older_than_seconds: float) -> int:
    """Remove what is in `parent` and was last changed longer ago than `older_than_seconds`
    (a folder by the newest thing in it), unless it is a folder whose lock is held. Blocking:
    call it from a worker thread. Returns how many entries went."""
    removed = 0
    cutoff = time.time() - older_than_seconds
    for entry in _entries(parent):
        with _unless_locked(entry) as free:
            if free and _last_change(entry) < cutoff:
                _remove(entry)
                removed += 1
    return removed


def _entries(parent: Path) -> list[Path]:
    try:
        return list(parent.iterdir())
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def _unless_locked(entry: Path) -> Iterator[bool]:
    """True, holding the folder's lock meanwhile, when no running analysis holds it."""
    try:
        lock = open(entry / LOCK_NAME)  # noqa: SIM115 - held across the yield
    except (FileNotFoundError, NotADirectoryError):
        yield True  # a file, or a folder without a lock (nothing holds it)
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def _last_change(entry: Path) -> float:
    try:
        newest = entry.lstat().st_mtime
        if entry.is_dir() and not entry.is_symlink():
            for root, folders, files in os.walk(entry):
                for name in folders + files:
                    with contextlib.suppress(FileNotFoundError):
                        newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
        return newest
    except FileNotFoundError:
        return time.time()  # gone meanwhile: nothing to do


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
