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
import re
import statistics
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
    args = parser.parse_args()
    port = free_port()
    command = [str(Path(sys.executable)), "-m", "uvicorn", "quote_app:create_bench_app", "--factory",
               "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
               "--no-proxy-headers", "--no-server-header", "--log-level", "warning"]
    with tempfile.TemporaryDirectory() as folder, running_portal(command, port=port) as (base, _, _):
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
