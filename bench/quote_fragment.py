"""The quote fragment of a ready file against a bare Litestar endpoint, side by side.

    .venv/bin/python bench/quote_fragment.py          # --seconds 5 --rounds 3 --connections 8

One portal process (the embedded default, as `portal run` serves it: uvicorn, one worker) with
one extra route returning a fixed string (bench/quote_app.py), so both go through the same
middleware. A 20 k-facet STL is uploaded and analysed first. Then a closed-loop load of
`--connections` keep-alive connections hits one endpoint for `--seconds`, then the other,
`--rounds` times (interleaved). Targets: the quote fragment serves at least 50 % of the bare
endpoint's requests per second, with p95 latency under 50 ms at that load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import trimesh
from portal_server import ROOT, free_port, running_portal

sys.path.insert(0, str(ROOT))
from geometry.stl import write_binary  # noqa: E402


def make_part(folder: Path) -> Path:
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=30.0)  # 20,480 facets
    path = folder / "sphere.stl"
    write_binary(path, mesh.triangles)
    return path


@contextlib.contextmanager
def services_mode():
    """A fresh PostgreSQL database and a Redis database for the run."""
    admin = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"bench_quote_{secrets.token_hex(4)}"
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    server = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield {"PORTAL_DATABASE_URL": f"{server}/{name}", "PORTAL_REDIS_URL": redis_url,
               "PORTAL_SITE_URL": "http://127.0.0.1"}  # services mode needs the public address
    finally:
        subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)


@contextlib.contextmanager
def worker(data_dir: Path, extra: dict):
    """`portal worker` beside the server, to analyse the uploaded file."""
    from portal_server import PORTAL, portal_env

    env = portal_env(data_dir, 0, **extra)
    process = subprocess.Popen([str(PORTAL), "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def ready_file(base: str, part: Path) -> tuple[str, str]:
    with httpx.Client(base_url=base, timeout=60) as client:
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)
        answer = client.post("/files", files={"files": (part.name, part.read_bytes())},
                             headers={"x-csrftoken": token, "accept": "application/json"})
        url = answer.json()["files"][0]["url"]
        for _ in range(300):
            status = client.get(url + "/status", headers={"HX-Request": "true"}).text
            if 'data-status="ready"' in status:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("the file did not become ready")
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        return url + "/quote?quantity=10&process=cnc_milling&material=al_6061", cookie


async def one_connection(port: int, path: str, cookie: str, until: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nHX-Request: true\r\n\r\n").encode()
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
            await reader.readexactly(length)
            assert head.startswith(b"HTTP/1.1 200"), head[:100]
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def load(port: int, path: str, cookie: str, seconds: float, connections: int) -> tuple[float, float]:
    latencies: list[float] = []
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(one_connection(port, path, cookie, until, latencies) for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(0.95 * (len(latencies) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--services", action="store_true",
                        help="services mode: PostgreSQL (a fresh database) and Redis (BENCH_REDIS_URL)")
    args = parser.parse_args()
    port = free_port()
    command = [str(Path(sys.executable)), "-m", "uvicorn", "quote_app:create_bench_app", "--factory",
               "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
               "--no-proxy-headers", "--no-server-header", "--log-level", "warning"]
    with contextlib.ExitStack() as stack:
        extra = stack.enter_context(services_mode()) if args.services else {}
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        base, _, data_dir = stack.enter_context(running_portal(command, port=port, **extra))
        if args.services:
            stack.enter_context(worker(data_dir, extra))
        quote_path, cookie = ready_file(base, make_part(Path(folder)))
        asyncio.run(load(port, quote_path, cookie, 1, args.connections))  # warm: the first quote is priced
        asyncio.run(load(port, "/bench/fixed", cookie, 1, args.connections))
        rows = {"bare": [], "quote": []}
        for _ in range(args.rounds):
            rows["bare"].append(asyncio.run(load(port, "/bench/fixed", cookie, args.seconds, args.connections)))
            rows["quote"].append(asyncio.run(load(port, quote_path, cookie, args.seconds, args.connections)))
    for name, label in (("bare", "bare endpoint (fixed string)"), ("quote", "quote fragment (ready file)")):
        rates = [r for r, _ in rows[name]]
        p95s = [p for _, p in rows[name]]
        print(f"{label:32} {statistics.median(rates):8.0f} req/s   p95 {statistics.median(p95s):6.1f} ms   "
              f"(rounds: {', '.join(f'{r:.0f}' for r in rates)} req/s)")
    ratio = statistics.median(r for r, _ in rows["quote"]) / statistics.median(r for r, _ in rows["bare"])
    p95 = statistics.median(p for _, p in rows["quote"])
    print(f"quote / bare = {ratio:.0%} (target ≥ 50 %: {'PASS' if ratio >= 0.5 else 'FAIL'}); "
          f"quote p95 {p95:.1f} ms (target < 50 ms: {'PASS' if p95 < 50 else 'FAIL'}); "
          f"{args.connections} connections")


if __name__ == "__main__":
    main()
