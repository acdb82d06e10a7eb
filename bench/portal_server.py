"""Start a portal for a benchmark: the embedded default in a temporary data folder, served by
`portal run` (uvicorn) as a person would start it. Used by the upload and quote benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PORTAL = Path(sys.executable).parent / "portal"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_env(data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(
        PYTHONPATH=str(ROOT),
        LITESTAR_APP="portal.app:create_app",
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_PORT=str(port),
        PORTAL_ANONYMOUS_UPLOADS_PER_ADDRESS="100000",
        PORTAL_ANONYMOUS_UPLOADS_PER_SESSION="100000",
        **extra,
    )
    return env


@contextmanager
def running_portal(command: list[str] | None = None, port: int | None = None, **extra: str):
    """Yield (base_url, server pid, data_dir). `command` replaces `portal run …` (same env)."""
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as folder:
        data_dir = Path(folder)
        port = port or free_port()
        env = portal_env(data_dir, port, **extra)
        subprocess.run([str(PORTAL), "database", "upgrade", "--no-prompt"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        log = (data_dir / "server.log").open("wb")
        command = command or [str(PORTAL), "run", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/health", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError((data_dir / "server.log").read_text()[-3000:]) from None
                    time.sleep(0.2)
            yield base, process.pid, data_dir
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
            log.close()


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn may fork a worker)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total
