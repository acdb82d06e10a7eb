"""A real portal server (embedded default: SQLite under a temporary data folder) and Chromium.

The server is started once for the e2e package, and stopped when it is done, through the `portal`
console script that sits next to the running Python (so CI's venv is used), as a person would
start it: migrate, create an admin, `portal run`. Chromium is the Debian package at
/usr/bin/chromium; when it is missing the e2e tests are skipped with that reason, except under
`CI=true`, where a missing browser fails them: a CI run must not pass by testing no page.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp import Mailbox, smtp_server

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
PORTAL = Path(sys.executable).parent / "portal"

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "staff pass 123"


def sideways_overflow(page) -> float:
    """How many pixels the page is wider than the screen: above 0, a phone scrolls sideways.

    Measured against the layout viewport (`clientWidth`), not `window.innerWidth`: on an emulated
    phone (`is_mobile`) Chromium zooms a too-wide page out to fit, and `innerWidth` grows with it,
    so `scrollWidth - innerWidth` stays 0 on exactly the pages that overflow.
    """
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@dataclass(frozen=True)
class Server:
    base_url: str
    data_dir: Path
    log: Path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the test item, so fixtures can tell that the test failed."""
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or _on_ci():
        return  # on CI the `server` fixture fails each browser test instead
    skip = pytest.mark.skip(reason=f"e2e: Chromium not found at {CHROMIUM} (apt-get install chromium)")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="package")
def bitrix24():
    """A fake Bitrix24 portal the server sends its leads, contacts and companies to."""
    from tests.fakes.bitrix24 import FakeBitrix24

    with FakeBitrix24().running() as fake:
        yield fake


def _server_env(data_dir: Path, port: int, smtp_url: str, bitrix=None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        LITESTAR_APP="portal.app:create_app",
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_HOST="127.0.0.1",
        PORTAL_PORT=str(port),
        # Cheap argon2 keeps the run fast; the parameters are still argon2id.
        PORTAL_ARGON2_TIME_COST="1",
        PORTAL_ARGON2_MEMORY_KIB="1024",
        PORTAL_SMTP_URL=smtp_url,
        # Every test registers from 127.0.0.1; the limits themselves are tested in integration tests.
        PORTAL_REGISTER_ADDRESS_LIMIT="10000",
        PORTAL_RESET_ADDRESS_LIMIT="10000",
    )
    if bitrix is not None:
        env.update(PORTAL_BITRIX_WEBHOOK_URL=bitrix.webhook_url, PORTAL_BITRIX_APP_TOKEN=bitrix.application_token)
    return env


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal run exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"portal did not answer /health within {timeout}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def smtp() -> Iterator[tuple[str, Mailbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="package")
def mailbox(smtp: tuple[str, Mailbox]) -> Mailbox:
    """What the portal has sent (it sends through a real SMTP server on loopback)."""
    return smtp[1]


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: tuple[str, Mailbox], bitrix24) -> Iterator[Server]:
    if not CHROMIUM.exists():
        message = f"e2e: Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if _on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    data_dir = tmp_path_factory.mktemp("portal-data")
    port = _free_port()
    env = _server_env(data_dir, port, smtp[0], bitrix24)
    for args in (
        ["database", "upgrade", "--no-prompt"],
        ["users", "create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD],
    ):
        done = subprocess.run([str(PORTAL), *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(
                f"portal {' '.join(args[:2])} failed ({done.returncode}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}",
                pytrace=False,
            )
    log = data_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(PORTAL), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=REPO_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, process, log)
        yield Server(base_url=base_url, data_dir=data_dir, log=log)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="package")
def browser(server: Server):
    from playwright.sync_api import expect, sync_playwright

    # A busy CI machine can be slow; expect()'s own default is 5 s.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, server: Server, request: pytest.FixtureRequest, tmp_path: Path):
    """Open fresh browser contexts (each its own cookie jar) on the server; closed after the test.

    When the test fails, every open page is photographed into the test's tmp dir and its address
    and the tail of the server log are printed (shown in the failure report).
    """
    contexts = []

    def make(**options):
        options.setdefault("base_url", server.base_url)
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "e2e_report_call", None)
    if report is not None and report.failed:
        for number, context in enumerate(contexts):
            for index, open_page in enumerate(context.pages):
                shot = tmp_path / f"failure-context{number}-page{index}.png"
                try:
                    open_page.screenshot(path=str(shot), full_page=True)
                    print(f"context {number} page {index}: {open_page.url} -> {shot}")
                except Exception as error:  # noqa: BLE001 - diagnostics must not hide the failure
                    print(f"context {number} page {index}: {open_page.url} (no screenshot: {error})")
        print("--- server log (tail) ---")
        print(server.log.read_text(errors="replace")[-4000:])
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()
