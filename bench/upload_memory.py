"""Server memory while a 100 MB model file is uploaded (target: grows by less than 30 MB).

    .venv/bin/python bench/upload_memory.py            # --mb 100 --runs 3

The portal runs as `portal run` (embedded default). A client streams one 100 MB file as
multipart (random bytes, so the type check refuses it after receiving: the figure is about
receiving). Both ways a browser sends it: the page's script (CSRF token in a header: parsed
chunk by chunk) and the plain HTML form (token in the body: Litestar's parser spools the parts to
temporary files first). The server's resident memory is sampled every 20 ms; the figure is the
peak minus the resident memory just before the upload started.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import threading
import time

import httpx
from portal_server import rss_bytes, running_portal

CHUNK = 1024 * 1024


def body(boundary: bytes, token_field: str | None, megabytes: int):
    if token_field:
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n'
        yield token_field.encode() + b"\r\n"
    yield (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename="big.stl"\r\n'
           b"Content-Type: application/octet-stream\r\n\r\n")
    block = os.urandom(CHUNK)
    for _ in range(megabytes):
        yield block
    yield b"\r\n--" + boundary + b"--\r\n"


def upload_once(base: str, pid: int, scripted: bool, megabytes: int) -> tuple[float, int]:
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        boundary = b"benchboundary7MA4YWxkTrZu0gW"
        headers = {"content-type": f"multipart/form-data; boundary={boundary.decode()}"}
        if scripted:
            headers |= {"x-csrftoken": token, "accept": "application/json"}
        size = sum(len(part) for part in body(boundary, None if scripted else token, 0)) + megabytes * CHUNK
        headers["content-length"] = str(size)
        before = rss_bytes(pid)
        peak = before
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_bytes(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        response = client.post("/files", content=body(boundary, None if scripted else token, megabytes),
                               headers=headers)
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
        assert response.status_code in (201, 303), (response.status_code, response.text[:300])
        return elapsed, peak - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with running_portal() as (base, pid, _):
        upload_once(base, pid, True, 1)  # warm up: imports, first connection
        for scripted, label in ((True, "page script (token in a header, streamed parse)"),
                                (False, "plain form (token in the body, spooled by Litestar)")):
            growth, times = [], []
            for _ in range(args.runs):
                elapsed, grew = upload_once(base, pid, scripted, args.mb)
                growth.append(grew)
                times.append(elapsed)
            print(f"{label}: {args.mb} MB in {statistics.median(times):.2f} s (median of {args.runs}); "
                  f"server memory grew by {max(growth) / 2**20:.1f} MB at most "
                  f"(runs: {', '.join(f'{g / 2**20:.1f}' for g in growth)} MB) — target < 30 MB: "
                  f"{'PASS' if max(growth) < 30 * 2**20 else 'FAIL'}")


if __name__ == "__main__":
    main()
