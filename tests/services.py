"""Run a command (the test suite) with PostgreSQL and Redis there for it.

    python -m tests.services python -m pytest -q tests/unit

Where PostgreSQL or Redis answers at TEST_POSTGRES_URL / TEST_REDIS_URL (or their defaults, see
tests/settings.py), that one is used. Where it does not, a throwaway one is started for the run
(an `initdb` cluster in a temporary folder, `redis-server` without persistence, each on a free
port on 127.0.0.1), the URL is handed to the command in the same variable, and the server is
stopped and its folder removed afterwards. When the program it needs is not installed either,
one line says what to install, and the command does not run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.settings import POSTGRES_ADMIN_URL, REDIS_URL

START_TIMEOUT_S = 60


class Missing(Exception):
    """A service does not answer and the program to start one is not installed."""


def answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_port(url: str, port: int) -> str:
    """The same URL (user, database) on 127.0.0.1:`port`."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{port}"))


def wait_until_it_answers(url: str, process: subprocess.Popen | None, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not answers(url, 0):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} stopped at start (exit status {process.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {START_TIMEOUT_S} s")
        time.sleep(0.1)


# --------------------------------------------------------------------------- PostgreSQL


def postgres_program(name: str) -> str | None:
    """Debian keeps the server's programs under /usr/lib/postgresql/<version>/bin, off the PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(Path(path).parts[4]))
    return found[-1] if found else shutil.which(name)


def as_server_user() -> tuple[list[str], pwd.struct_passwd | None]:
    """PostgreSQL refuses to run as root: as root, its programs run as the `postgres` user."""
    if os.geteuid() != 0:
        return [], None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise Missing("PostgreSQL will not run as root and there is no `postgres` user to run it as") from None
    return ["runuser", "-u", user.pw_name, "--"], user


@contextlib.contextmanager
def throwaway_postgres(url: str) -> Iterator[str]:
    initdb, pg_ctl = postgres_program("initdb"), postgres_program("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise Missing(f"PostgreSQL does not answer at {url} and is not installed: apt-get install postgresql")
    prefix, user = as_server_user()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="test-postgres-") as folder:
        if user is not None:
            os.chown(folder, user.pw_uid, user.pw_gid)
        data = os.path.join(folder, "data")
        run = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        username = urlsplit(url).username or "postgres"
        subprocess.run([*prefix, initdb, "-D", data, "-U", username, "-A", "trust", "--no-sync"], **run)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        log = os.path.join(folder, "server.log")
        subprocess.run([*prefix, pg_ctl, "-D", data, "-l", log, "-o", options, "-w", "start"], **run)
        try:
            started = with_port(url, port)
            wait_until_it_answers(started, None, "PostgreSQL")
            yield started
        finally:
            subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "fast", "-w", "stop"], **run)


# --------------------------------------------------------------------------- Redis


@contextlib.contextmanager
def throwaway_redis(url: str) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        raise Missing(f"Redis does not answer at {url} and is not installed: apt-get install redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="test-redis-") as folder:
        process = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", folder, "--logfile", os.path.join(folder, "redis.log")],
            stdout=subprocess.DEVNULL,
        )
        try:
            started = with_port(url, port)
            wait_until_it_answers(started, process, "Redis")
            yield started
        finally:
            process.terminate()
            process.wait(timeout=30)


# --------------------------------------------------------------------------- the run


def main(command: list[str]) -> int:
    if not command:
        print("usage: python -m tests.services COMMAND [ARGS…]", file=sys.stderr)
        return 2
    env = dict(os.environ)
    with contextlib.ExitStack() as started:
        try:
            if not answers(POSTGRES_ADMIN_URL, 5432):
                env["TEST_POSTGRES_URL"] = started.enter_context(throwaway_postgres(POSTGRES_ADMIN_URL))
                print(f"PostgreSQL for this run: {env['TEST_POSTGRES_URL']}", file=sys.stderr)
            if not answers(REDIS_URL, 6379):
                env["TEST_REDIS_URL"] = started.enter_context(throwaway_redis(REDIS_URL))
                print(f"Redis for this run: {env['TEST_REDIS_URL']}", file=sys.stderr)
        except Missing as missing:
            print(f"{missing} (or point TEST_POSTGRES_URL / TEST_REDIS_URL at running ones)", file=sys.stderr)
            return 1
        except subprocess.CalledProcessError as failed:
            why = (failed.stderr or b"").decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
            print(f"could not start a test server: {Path(failed.cmd[0]).name} … said {why[0]}", file=sys.stderr)
            return 1
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
