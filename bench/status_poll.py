"""Many pollers of a pending file's status against the other pages, on a real server.

    .venv/bin/python bench/status_poll.py     # --pollers 100 --seconds 6 --rounds 3 --steps 0.1,0.25 [--services]

A file's status poll (`GET /files/{id}/status` with `HX-Request`) waits up to a second for news;
the polls waiting in the process share one look at the database per step. The page asks again as
soon as it has the answer, so 100 open file pages are 100 requests that are always waiting.

`--pollers` raw keep-alive connections poll a pending file (all at once, and again as soon as
each has its answer) while `--pages` connections load `/` (the upload page: rate card and demo
files from the database) in a loop. The upload page is measured alone first, then beside the
pollers, once per step (set in turns on one server through bench/poll_app.py). Reported: answers
by status code, when every poller had had its first answer, polls per second, the page's rate and
p50/p95 latency alone and beside the pollers, and the server's CPU time per second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from portal_server import ROOT, free_port, running_portal
from quote_fragment import services_mode

sys.path.insert(0, str(ROOT))
from portal.config import DatabaseSettings  # noqa: E402
from portal.db.engine import create_engine, create_sessionmaker  # noqa: E402
from portal.db.models import ModelFile  # noqa: E402


async def pending_file(database_url: str) -> str:
    engine = create_engine(DatabaseSettings(url=database_url))
    async with create_sessionmaker(engine)() as session:
        file = ModelFile(name="part.stl", sha256="1" * 64, size_bytes=84, is_demo=True, status="pending")
        session.add(file)
        await session.commit()
        file_id = str(file.id)
    await engine.dispose()
    return file_id


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


async def ask(reader, writer, request: bytes) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
    await reader.readexactly(length)
    return int(head[9:12])


async def loop(port: int, path: str, headers: str, until: float, codes: Counter, latencies: list[float],
               first: list[float] | None = None) -> None:
    """One keep-alive connection asking for `path` again as soon as it has the answer (raw HTTP:
    a client library's own overhead would be measured instead of the server's)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                codes[await ask(reader, writer, request)] += 1
            except (OSError, asyncio.IncompleteReadError) as error:
                codes[type(error).__name__] += 1
                return
            latencies.append(time.perf_counter() - started)
            if first is not None and len(first) == 0:
                first.append(time.perf_counter())
    finally:
        writer.close()


async def phase(port: int, file_id: str | None, pollers: int, pages: int, seconds: float) -> dict:
    poll_codes, page_codes = Counter(), Counter()
    poll_lat, page_lat = [], []
    status = f"/files/{file_id}/status" if file_id else ""
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    tasks = [loop(port, "/", "", until, page_codes, page_lat) for _ in range(pages)]
    firsts = [[] for _ in range(pollers)]  # when each poller had its first answer
    tasks += [loop(port, status, "HX-Request: true\r\n", until, poll_codes, poll_lat, firsts[n])
              for n in range(pollers)]
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    page_lat.sort()
    return {
        "poll_codes": dict(poll_codes), "page_codes": dict(page_codes),
        "first_round": max(f[0] for f in firsts) - started if pollers else None,
        "polls_per_s": len(poll_lat) / elapsed, "poll_max": max(poll_lat, default=0),
        "page_rate": len(page_lat) / elapsed,
        "page_p50": statistics.median(page_lat) * 1000 if page_lat else None,
        "page_p95": page_lat[int(0.95 * (len(page_lat) - 1))] * 1000 if page_lat else None,
        "page_max": page_lat[-1] * 1000 if page_lat else None,
    }


def set_step(port: int, step: float) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/bench/poll-step?seconds={step}", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pollers", type=int, default=100)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", default="0.1,0.25")
    parser.add_argument("--services", action="store_true",
                        help="services mode: PostgreSQL (a fresh database) and Redis (BENCH_REDIS_URL)")
    args = parser.parse_args()
    steps = [float(s) for s in args.steps.split(",")]
    port = free_port()
    command = [str(Path(sys.executable)), "-m", "uvicorn", "poll_app:create_bench_app", "--factory",
               "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
               "--no-proxy-headers", "--no-server-header", "--log-level", "warning"]
    rows: dict[str, list[dict]] = {"alone": [], **{f"{step}": [] for step in steps}}
    with contextlib.ExitStack() as stack:
        extra = stack.enter_context(services_mode()) if args.services else {}
        base, pid, data_dir = stack.enter_context(running_portal(command, port=port, **extra))
        url = extra.get("PORTAL_DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'portal.sqlite3'}")
        file_id = asyncio.run(pending_file(url))
        asyncio.run(phase(port, None, 0, args.pages, 1))  # warm
        for _ in range(args.rounds):  # in turns, so a busy machine weighs on each alike
            rows["alone"].append(asyncio.run(phase(port, None, 0, args.pages, args.seconds)))
            for step in steps:
                set_step(port, step)
                cpu_before, wall_before = cpu_seconds(pid), time.perf_counter()
                row = asyncio.run(phase(port, file_id, args.pollers, args.pages, args.seconds))
                row["cpu"] = (cpu_seconds(pid) - cpu_before) / (time.perf_counter() - wall_before)
                rows[f"{step}"].append(row)
    mode = "services (PostgreSQL + Redis)" if args.services else "embedded (SQLite)"
    print(f"{mode}: {args.pollers} pollers of a pending file, {args.pages} clients loading /, "
          f"{args.seconds:.0f} s per phase, {args.rounds} rounds in turns, medians")

    def median(name: str, key: str) -> float:
        return statistics.median(row[key] for row in rows[name])

    def codes(name: str, key: str) -> dict:
        total: Counter = Counter()
        for row in rows[name]:
            total.update(row[key])
        return dict(total)

    print(f"  GET / alone: answers {codes('alone', 'page_codes')}, {median('alone', 'page_rate'):.0f} req/s, "
          f"p50 {median('alone', 'page_p50'):.0f} ms, p95 {median('alone', 'page_p95'):.0f} ms")
    for step in steps:
        name = f"{step}"
        print(f"  step {step:.2f} s: polls {codes(name, 'poll_codes')}, all {args.pollers} answered once after "
              f"{median(name, 'first_round'):.2f} s, {median(name, 'polls_per_s'):.0f} polls/s, slowest "
              f"{max(row['poll_max'] for row in rows[name]):.2f} s; server CPU {median(name, 'cpu'):.2f} s/s")
        print(f"      GET / beside them: answers {codes(name, 'page_codes')}, {median(name, 'page_rate'):.0f} req/s "
              f"({median(name, 'page_rate') / median('alone', 'page_rate'):.0%} of alone), "
              f"p50 {median(name, 'page_p50'):.0f} ms, p95 {median(name, 'page_p95'):.0f} ms")


if __name__ == "__main__":
    main()
