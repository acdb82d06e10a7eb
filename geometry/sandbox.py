"""Run untrusted parses in a child process with memory, CPU and wall-clock limits.

OpenCASCADE can segfault or hang on a malformed STEP file, and a hostile file can ask for any
amount of memory. So every such parse runs in a child process; whatever happens there, the
caller gets a result or a clean `GeometryError`.

Shape of it:

    caller process ──pipes──▶ warm parent (long-lived; has OCP imported and warmed up)
                                    │ os.fork() per job
                                    ▼
                                  child: setsid, rlimits (AS, CPU, core 0), alarm,
                                         run the function, pickle the result back, os._exit

The warm parent is started once (``subprocess`` running ``_serve``) and reused, so a parse pays
for a fork (a few milliseconds) instead of the ~1-2 s import of OCP/cadquery. The warm parent
enforces the wall-clock limit and kills the child's process group; the caller enforces a second,
looser deadline on the warm parent itself, and restarts it on the next job if it died.

Only plain picklable data crosses the pipe (dataclasses, numpy arrays). Functions are passed by
reference (module and qualified name) and must live in an importable module.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import os
import pickle
import resource
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from geometry.limits import SANDBOX_CPU_S, SANDBOX_MEMORY_MB, SANDBOX_WALL_S
from geometry.model import GeometryError

DEFAULT_PRELOAD: tuple[str, ...] = ("geometry.step", "geometry.pipeline")
DEFAULT_WARMUP: tuple[str, ...] = ("geometry.step:warm_up", "geometry.pipeline:warm_up")
# For a process that runs a job or two (the command line): OpenCASCADE only. The previews'
# imports (trimesh, SciPy, Embree: 1-2 s) pay off only over the many jobs of a worker.
FEW_JOBS_WARMUP: tuple[str, ...] = ("geometry.step:warm_up",)

# The caller waits this much longer than the wall-clock limit for the warm parent's answer
# before it kills the child's process group and the warm parent itself.
_CALLER_GRACE_S = 3.0
_START_TIMEOUT_S = 120.0
_HEADER = struct.Struct("!Q")
_EXCEPTION = "\0exception"  # the child raised something other than GeometryError


def _timeout_error(seconds: float, detail: str = "") -> GeometryError:
    return GeometryError("timeout", detail, seconds=seconds)


# --------------------------------------------------------------------------- framing


def _write_frame(fd: int, payload: bytes) -> None:
    header = _HEADER.pack(len(payload))
    if len(payload) < 65536:
        _write_all(fd, memoryview(header + payload))
    else:
        _write_all(fd, memoryview(header))
        _write_all(fd, memoryview(payload))


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        n = os.write(fd, data)
        data = data[n:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes | None:
    """Read `size` bytes; None on EOF; TimeoutError when `deadline` (monotonic) passes."""
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
        chunk = os.read(fd, min(size - len(chunks), 1 << 22))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def _read_frame(fd: int, deadline: float | None) -> bytes | None:
    header = _read_exact(fd, _HEADER.size, deadline)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    return _read_exact(fd, size, deadline)


# --------------------------------------------------------------------------- function refs


def _func_ref(func: Callable[..., Any] | str) -> tuple[str, str]:
    if isinstance(func, str):
        module, sep, qualname = func.partition(":")
        if not sep:
            module, _, qualname = func.rpartition(".")
        if not module or not qualname:
            raise ValueError(f"not a 'module:function' reference: {func!r}")
        return module, qualname
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<locals>" in qualname:
        raise ValueError(f"{func!r} must be a top-level function of an importable module")
    return module, qualname


def _resolve(ref: tuple[str, str]) -> Callable[..., Any]:
    module, qualname = ref
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# --------------------------------------------------------------------------- warm parent


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _anon_rss_bytes() -> int:
    """This process's anonymous resident memory: what a forked child starts with mapped."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(job: dict, result_fd: int) -> None:
    """Runs in the forked child; never returns."""
    status = 0
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # OpenCASCADE prints to stdout; keep the channels clean
            os.dup2(devnull, fd)
        mem_bytes, cpu_s, wall_s = job["limits"]
        if mem_bytes:
            limit = _vm_bytes() + mem_bytes
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        if cpu_s:
            cpu = max(1, int(cpu_s + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if job.get("niceness"):
            os.nice(job["niceness"])
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(1, int(wall_s + 2)))  # self-destruct should the warm parent vanish
        too_large = pickle.dumps(("error", "out_of_memory", {}, ""))
        sys.path[:] = job["sys_path"]
        payload = None
        out_of_memory = False
        try:
            func = _resolve(job["func"])
            result = func(*job["args"], **job["kwargs"])
            payload = pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
            del result
        except GeometryError as exc:
            payload = pickle.dumps(("error", exc.code, exc.params, exc.detail))
        except MemoryError:
            out_of_memory = True  # build nothing here: the traceback still holds the memory
        except BaseException as exc:  # noqa: BLE001 - everything becomes a clean error
            detail = "".join(traceback.format_exception(exc))[-4000:]
            payload = pickle.dumps(("error", _EXCEPTION, {}, detail))
        if out_of_memory or payload is None:
            payload = too_large
        _write_frame(result_fd, payload)
    except MemoryError:
        status = 3
    except BaseException:  # noqa: BLE001
        status = 4
    os._exit(status)


def _serve(request_fd: int, response_fd: int, preload: Iterable[str], warmup: Iterable[str]) -> None:
    """The warm parent's loop: import and warm up once, then fork one child per job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from geometry.tuning import tune_process

    tune_process()  # the children inherit it
    failed = []
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a missing preload only costs speed
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    for ref in warmup:
        try:
            _resolve(_func_ref(ref))()
        except Exception as exc:  # noqa: BLE001
            failed.append(f"{ref}: {type(exc).__name__}: {exc}")
    _write_frame(response_fd, pickle.dumps(("ready", os.getpid(), failed)))

    while True:
        frame = _read_frame(request_fd, None)
        if frame is None:  # the caller went away
            return
        job = pickle.loads(frame)
        if job.get("op") == "ping":
            _write_frame(response_fd, pickle.dumps(("pong",)))
            continue
        _run_job(job, request_fd, response_fd)


def _run_job(job: dict, request_fd: int, response_fd: int) -> None:
    base_rss = _anon_rss_bytes()
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError as exc:
        _write_frame(response_fd, pickle.dumps(("started", 0)))
        _write_frame(response_fd, pickle.dumps(("error", "crashed", {}, f"fork: {exc}")))
        return
    if pid == 0:  # child
        os.close(read_fd)
        os.close(request_fd)
        os.close(response_fd)
        _child(job, write_fd)
    os.close(write_fd)
    _write_frame(response_fd, pickle.dumps(("started", pid)))
    wall_s = job["limits"][2]
    deadline = time.monotonic() + wall_s
    timed_out = False
    payload: bytes | None = None
    try:
        payload = _read_frame(read_fd, deadline)
    except TimeoutError:
        timed_out = True
    finally:
        os.close(read_fd)
    # The child has answered (or not): end its whole process group, then reap it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if payload is not None:
        _write_frame(response_fd, payload)
        os.waitpid(pid, 0)
        return
    _, status, usage = os.wait4(pid, 0)
    mem_bytes = job["limits"][0]
    # C++ code that runs out of address space mostly dies of SIGSEGV/SIGABRT rather than
    # raising: if the child's peak resident memory reached most of its allowance, say so.
    grew = usage.ru_maxrss * 1024 - base_rss
    if timed_out:
        message = ("error", "timeout", {}, "wall-clock limit")
    elif os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        message = ("error", "timeout", {}, "cpu limit")
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3:
        message = ("error", "out_of_memory", {}, "")
    elif mem_bytes and grew >= 0.7 * mem_bytes:
        message = ("error", "out_of_memory", {}, f"peak resident memory grew by {grew >> 20} MB")
    else:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}"
        message = ("error", "crashed", {}, f"{how}; peak resident memory grew by {grew >> 20} MB")
    _write_frame(response_fd, pickle.dumps(message))


_BOOTSTRAP = (
    "import sys, json\n"
    "sys.path[:] = json.loads(sys.argv[1])\n"
    "from geometry.sandbox import _serve\n"
    "_serve(int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]), json.loads(sys.argv[5]))\n"
)


# --------------------------------------------------------------------------- caller side


class Sandbox:
    """A warm parent process and the limits every job runs under.

    `memory_mb` is the address space a job may add on top of the warm parent's own footprint
    (RLIMIT_AS); `cpu_seconds` is RLIMIT_CPU; `wall_seconds` is enforced by the warm parent
    (and, a little later, by the caller). Jobs run one at a time per Sandbox.
    """

    def __init__(
        self,
        memory_mb: int = SANDBOX_MEMORY_MB,
        cpu_seconds: float = SANDBOX_CPU_S,
        wall_seconds: float = SANDBOX_WALL_S,
        preload: Iterable[str] = DEFAULT_PRELOAD,
        warmup: Iterable[str] = DEFAULT_WARMUP,
        niceness: int = 0,
    ) -> None:
        self.memory_mb = memory_mb
        self.cpu_seconds = cpu_seconds
        self.wall_seconds = wall_seconds
        self.preload = tuple(preload)
        self.warmup = tuple(warmup)
        self.niceness = niceness  # added to each job's (not the warm parent's): lower priority
        self.preload_failures: list[str] = []
        self._proc: subprocess.Popen | None = None
        self._owner = os.getpid()
        self._request_fd = -1
        self._response_fd = -1
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- lifecycle

    @property
    def pid(self) -> int | None:
        """The warm parent's pid, if it is running (and was started by this process)."""
        if self._proc is None or self._owner != os.getpid() or self._proc.poll() is not None:
            return None
        return self._proc.pid

    def start(self) -> Sandbox:
        with self._lock:
            self._ensure_started()
        return self

    def _ensure_started(self) -> None:
        if self._proc is not None and self._owner != os.getpid():
            # This process was forked from the one that started the warm parent: leave that
            # one to its owner (no kill, no wait) and start our own.
            self._forget()
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop()
        import json

        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    _BOOTSTRAP,
                    json.dumps(sys.path),
                    str(req_r),
                    str(resp_w),
                    json.dumps(list(self.preload)),
                    json.dumps(list(self.warmup)),
                ],
                pass_fds=(req_r, resp_w),
                # Few malloc arenas: each thread's arena reserves 64 MB of address space,
                # which would count against RLIMIT_AS in the children.
                env={**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._request_fd, self._response_fd = req_w, resp_r
        self._owner = os.getpid()
        try:
            frame = _read_frame(self._response_fd, time.monotonic() + _START_TIMEOUT_S)
        except TimeoutError:
            frame = None
        if frame is None:
            self._stop()
            raise GeometryError("sandbox_unavailable", "the warm parent did not answer")
        _, _, self.preload_failures = pickle.loads(frame)

    def _forget(self) -> None:
        for fd in (self._request_fd, self._response_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._proc, self._request_fd, self._response_fd = None, -1, -1

    def _stop(self) -> None:
        if self._owner != os.getpid():  # inherited through a fork: not ours to stop
            self._forget()
            return
        proc, self._proc = self._proc, None
        for fd in (self._request_fd, self._response_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._request_fd = self._response_fd = -1
        if proc is not None:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def close(self) -> None:
        with self._lock:
            self._stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._stop()

    # ----------------------------------------------------------------- jobs

    def run(
        self,
        func: Callable[..., Any] | str,
        *args: Any,
        memory_mb: int | None = None,
        cpu_seconds: float | None = None,
        wall_seconds: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run `func(*args, **kwargs)` in a fresh child of the warm parent; return its result.

        Raises GeometryError: the function's own, or "timeout", "crashed", "out_of_memory", or
        "unreadable" (any other exception in the child; `detail` holds its traceback).
        """
        wall = self.wall_seconds if wall_seconds is None else wall_seconds
        mem = self.memory_mb if memory_mb is None else memory_mb
        cpu = self.cpu_seconds if cpu_seconds is None else cpu_seconds
        job = pickle.dumps(
            {
                "op": "run",
                "func": _func_ref(func),
                "args": args,
                "kwargs": kwargs,
                "limits": (int(mem) * 1024 * 1024 if mem else 0, cpu, wall),
                "niceness": self.niceness,
                "sys_path": list(sys.path),
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        with self._lock:
            return self._run_locked(job, wall)

    def _run_locked(self, job: bytes, wall: float) -> Any:
        for attempt in (1, 2):
            self._ensure_started()
            try:
                _write_frame(self._request_fd, job)
                break
            except (BrokenPipeError, OSError):
                self._stop()  # the warm parent died between jobs: start a new one, once
                if attempt == 2:
                    raise GeometryError("crashed", "the warm parent died") from None
        deadline = time.monotonic() + wall + _CALLER_GRACE_S
        child_pid = None
        try:
            frame = _read_frame(self._response_fd, deadline)
            if frame is not None:
                _, child_pid = pickle.loads(frame)
                frame = _read_frame(self._response_fd, deadline)
        except TimeoutError:
            frame = None
        if frame is None:  # the warm parent hung or died: end the job and the warm parent
            if child_pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(child_pid, signal.SIGKILL)
            timed_out = time.monotonic() >= deadline
            self._stop()
            if timed_out:
                raise _timeout_error(wall, "the warm parent did not answer")
            raise GeometryError("crashed", "the warm parent died")
        message = pickle.loads(frame)
        if message[0] == "ok":
            return message[1]
        _, code, params, detail = message
        if code == "timeout":
            raise _timeout_error(wall, detail)
        if code == _EXCEPTION:
            raise GeometryError("unreadable", detail)
        raise GeometryError(code, detail, **params)

    def ping(self) -> bool:
        with self._lock:
            self._ensure_started()
            _write_frame(self._request_fd, pickle.dumps({"op": "ping"}))
            return _read_frame(self._response_fd, time.monotonic() + 10) is not None


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox(start: bool = False) -> Sandbox:
    """The process-wide sandbox, kept warm; started on first use, or now with ``start=True``.

    A worker calls ``default_sandbox(start=True)`` once at boot, so that the first job does not
    wait for the warm parent to import OpenCASCADE.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        sandbox = _default
    if start:
        sandbox.start()
    return sandbox


def few_jobs_default() -> None:
    """Make the default sandbox (if not yet made) one for a process that runs few jobs: its
    warm parent skips the warm-up that only a long-lived worker gains from."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox(warmup=FEW_JOBS_WARMUP)
            atexit.register(_default.close)
