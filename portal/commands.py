"""Our commands on the `portal` CLI: run, worker, users create-admin, demo load."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

import anyio
import click
from litestar.plugins import CLIPluginProtocol

from portal.config import Settings, get_settings


class PortalCommands(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        cli.add_command(run)  # in place of Litestar's own `run`
        cli.add_command(worker)
        cli.add_command(users)
        cli.add_command(demo)
        cli.add_command(crm)


@click.command(help="Serve the portal with uvicorn.")
@click.option("--host", default=None, help="Address to listen on (default: PORTAL_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: PORTAL_PORT).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def run(host: str | None, port: int | None, workers: int, reload: bool) -> None:
    """uvicorn's proxy-header handling is off: it would believe X-Forwarded-For from 127.0.0.1
    (its default) and overwrite the peer address. Which proxies are believed is decided only by
    PORTAL_TRUSTED_PROXIES, in portal.core.security.client_address.

    Timeouts: an idle kept-alive connection is closed after 5 s and a request's head may be at
    most 16 KiB; uvicorn has no body read timeout, so the app cuts a stalled body itself
    (PORTAL_BODY_READ_TIMEOUT, portal.core.body). The proxy in front bounds the rest
    (deploy/Caddyfile)."""
    import uvicorn

    settings = get_settings()
    if workers > 1 and settings.redis.url is None:
        # each process would run its own job scheduler: periodic jobs N times, one queue per process
        raise click.UsageError(
            "--workers above 1 needs PORTAL_REDIS_URL: without Redis the jobs run inside the one process."
        )
    server = settings.server
    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=host or server.host,
        port=port or server.port,
        workers=workers,
        reload=reload,
        proxy_headers=False,
        forwarded_allow_ips=[],
        server_header=False,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,
    )


@click.command(help="Run the arq worker (services mode: needs PORTAL_REDIS_URL).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    from jobs.worker import WorkerSettings, run

    if WorkerSettings.redis_settings is None:
        raise click.UsageError("PORTAL_REDIS_URL is not set: the worker needs Redis (services mode).")
    run(burst=burst)


@click.group(help="Manage user accounts.")
def users() -> None:
    pass


@users.command("create-admin", help="Create a staff account, or make an existing one staff.")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Administrator")
def create_admin(email: str, password: str, name: str) -> None:
    from portal.accounts.password_policy import password_problem
    from portal.core.emails import email_problem, normalise_email

    email = normalise_email(email)
    if problem := email_problem(email):
        raise click.BadParameter(problem, param_hint="--email")
    if problem := password_problem(password, email):
        raise click.BadParameter(problem, param_hint="--password")
    created = anyio.run(_create_admin, email, password, name)
    click.echo(f"{'Created' if created else 'Updated'} staff account {email}")


async def _create_admin(email: str, password: str, name: str) -> bool:
    from portal.accounts.passwords import Passwords
    from portal.accounts.services import UserService

    settings = get_settings()
    async with _unit_of_work(settings, UserService) as users:
        return await users.ensure_admin(email, password, name, Passwords(settings.auth))


@click.group(help="Demo data for the embedded default.")
def demo() -> None:
    pass


@demo.command("load", help="Create the demo admin (printed once), demo customers and the sample models.")
def load_demo() -> None:
    anyio.run(_load_demo)


async def _load_demo() -> None:
    from portal.accounts.services import UserService
    from portal.demo import load_demo_data

    settings = get_settings()
    async with _unit_of_work(settings, UserService) as users:
        admin = await load_demo_data(users, settings)
    await _load_demo_files(settings)
    if admin is None:
        click.echo("Demo data is already loaded; the admin password was printed when it was created.")
    else:
        email, password = admin
        click.echo("")
        click.echo("  Demo admin (shown once, keep it):")
        click.echo(f"    e-mail:   {email}")
        click.echo(f"    password: {password}")
        click.echo("")


async def _load_demo_files(settings: Settings) -> None:
    """The sample models: stored, then analysed by the job (in this process in the embedded
    default, which waits for it; by the worker in services mode)."""
    from jobs.inline import InlineRunner
    from portal.core.queue import JobQueue
    from portal.demo import load_demo_files
    from portal.files.services import ModelFileService, analysis_job_id
    from portal.files.storage import build_storage

    async with _unit_of_work(settings, ModelFileService) as files:
        added = await load_demo_files(files, build_storage(settings.storage), settings)
    queue = JobQueue(settings, inline_runner=InlineRunner)
    for file in added:
        if file.status == "pending":
            await queue.enqueue("analyze_model", str(file.id), job_id=analysis_job_id(file.id, 0))
    await queue.close()  # the embedded default runs the jobs here and waits for them
    if added:
        click.echo(f"Added {len(added)} sample models.")


@asynccontextmanager
async def _unit_of_work(settings: Settings, service_type):
    """A service on the portal's database (the one engine factory), committed at the end."""
    from portal.db.engine import create_engine, create_sessionmaker
    from portal.db.unit_of_work import unit_of_work

    engine = create_engine(settings.database)
    try:
        async with unit_of_work(create_sessionmaker(engine), service_type) as service:
            yield service
    finally:
        await engine.dispose()


@click.group(help="Bitrix24 tools.")
def crm() -> None:
    pass


@crm.command("fake", help="Run the fake Bitrix24 portal (developer demo; from the repository checkout).")
@click.option("--port", default=8765, show_default=True)
@click.option("--code", default="demo-webhook-code", show_default=True, help="The webhook's secret code.")
@click.option("--token", default="demo-application-token", show_default=True, help="The events' application token.")
@click.option("--events-to", default="http://127.0.0.1:8000/crm/bitrix/events", show_default=True,
              help="Where deal events are posted.")
def crm_fake(port: int, code: str, token: str, events_to: str) -> None:
    try:
        from tests.fakes.bitrix24 import FakeBitrix24
    except ImportError as error:
        raise click.UsageError("the fake lives in tests/fakes: run this from the repository checkout") from error
    fake = FakeBitrix24(code=code, application_token=token, port=port)
    fake.bind("ONCRMDEALUPDATE", events_to)
    fake.start()
    click.echo(f"Fake Bitrix24 on {fake.base_url} (state: {fake.base_url}/fake/state). Run the portal with:")
    click.echo(f"  PORTAL_BITRIX_WEBHOOK_URL={fake.webhook_url} PORTAL_BITRIX_APP_TOKEN={token}")
    click.echo(f"Move a deal as sales would: curl -X POST '{fake.base_url}/fake/move?deal=ID&stage=WON'")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        fake.stop()
