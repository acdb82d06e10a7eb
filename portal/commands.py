"""Our commands on the `portal` CLI: worker, users create-admin, demo load."""

from __future__ import annotations

import anyio
import click
from litestar.plugins import CLIPluginProtocol
from sqlalchemy import select

from portal.config import get_settings


class PortalCommands(CLIPluginProtocol):
    def on_cli_init(self, cli: click.Group) -> None:
        cli.add_command(worker)
        cli.add_command(users)
        cli.add_command(demo)


@click.command(help="Run the arq worker (services mode: needs PORTAL_REDIS_URL).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    from arq.worker import run_worker

    from jobs.worker import WorkerSettings

    if WorkerSettings.redis_settings is None:
        raise click.UsageError("PORTAL_REDIS_URL is not set: the worker needs Redis (services mode).")
    run_worker(WorkerSettings, burst=burst)  # type: ignore[arg-type]


@click.group(help="Manage user accounts.")
def users() -> None:
    pass


@users.command("create-admin", help="Create a staff account, or make an existing one staff.")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--name", default="Administrator")
def create_admin(email: str, password: str, name: str) -> None:
    if not 8 <= len(password) <= 1024:
        raise click.BadParameter("use 8 to 1024 characters", param_hint="--password")
    created = anyio.run(ensure_admin, email.strip().lower(), password, name)
    click.echo(f"{'Created' if created else 'Updated'} staff account {email}")


async def ensure_admin(email: str, password: str, name: str) -> bool:
    from portal.accounts.passwords import Passwords
    from portal.db.models import User

    settings = get_settings()
    sessionmaker, engine = _sessionmaker(settings)
    password_hash = await Passwords(settings.auth).hash(password)
    async with sessionmaker() as db:
        user = await db.scalar(select(User).where(User.email == email))
        created = user is None
        if user is None:
            user = User(email=email, full_name=name, password_hash=password_hash)
            db.add(user)
        user.password_hash = password_hash
        user.is_staff = True
        user.is_active = True
        user.session_version = (user.session_version or 0) + 1
        await db.commit()
    await engine.dispose()
    return created


@click.group(help="Demo data for the embedded default.")
def demo() -> None:
    pass


@demo.command("load", help="Create the demo admin (printed once) and demo customers.")
def load_demo() -> None:
    anyio.run(_load_demo)


async def _load_demo() -> None:
    from portal.demo import load_demo_data

    settings = get_settings()
    sessionmaker, engine = _sessionmaker(settings)
    admin = await load_demo_data(sessionmaker, settings)
    await engine.dispose()
    if admin is None:
        click.echo("Demo data is already loaded; the admin password was printed when it was created.")
    else:
        email, password = admin
        click.echo("")
        click.echo("  Demo admin (shown once, keep it):")
        click.echo(f"    e-mail:   {email}")
        click.echo(f"    password: {password}")
        click.echo("")


def _sessionmaker(settings):
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    engine = create_async_engine(settings.database.url)
    return async_sessionmaker(engine, expire_on_commit=False), engine
