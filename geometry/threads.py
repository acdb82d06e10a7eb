"""Numpy-heavy work on the second core (numpy releases the GIL in its loops).

``GEOMETRY_THREADS=0`` runs everything on the calling thread (for debugging and comparison).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

THREADS = os.environ.get("GEOMETRY_THREADS", "1") != "0"


class Background:
    """Start `fn(*args, **kwargs)` now on another thread; `result()` joins and re-raises."""

    enabled = THREADS

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._threaded = Background.enabled
        if self._threaded:
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        try:
            self._result = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc
        finally:
            self._args, self._kwargs = (), {}

    def wait(self) -> None:
        if self._threaded:
            self._thread.join()

    def result(self) -> Any:
        self.wait()
        if self._error is not None:
            raise self._error
        return self._result


def after(first: Background, task: Callable[..., Any], **kwargs: Any) -> Any:
    """Run `task` once `first` has finished (on whatever thread calls this)."""
    first.wait()
    return task(**kwargs)
