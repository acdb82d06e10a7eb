"""The app on real services, driven through Litestar's AsyncTestClient."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker

from portal.app import create_app
from portal.config import DatabaseSettings, Settings
from portal.db.engine import create_engine, create_sessionmaker
from portal.db.models import (
    BitrixSyncRow,
    CallRequest,
    CartItem,
    CompanyDetails,
    Document,
    KeyValueItem,
    LoginFailureCounter,
    ModelFile,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    RateCardVersion,
    ReviewRequest,
    Shipment,
    User,
)
from tests.settings import make_settings
from tests.smtp import Mailbox, smtp_server

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture(params=["services"])
def mode(request: pytest.FixtureRequest) -> str:
    """Most tests run in services mode; tests that matter in both modes parametrise this."""
    return request.param


@pytest.fixture
def database_url(mode: str, request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("postgres_url" if mode == "services" else "sqlite_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[async_sessionmaker]:
    """The test's own connection to the app's database, for setting up and checking rows."""
    engine = create_engine(DatabaseSettings(url=database_url))
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def settings(mode: str, database_url: str, tmp_path, redis_url: str):
    """Each test starts with empty tables and an empty Redis database."""
    await _empty_tables(database_url)
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    return make_settings(database_url, redis_url if mode == "services" else None, tmp_path)


@pytest.fixture
def app(settings) -> Litestar:
    return create_app(settings)


async def _empty_tables(database_url: str) -> None:
    engine = create_engine(DatabaseSettings(url=database_url))
    async with create_sessionmaker(engine)() as db:
        for model in (BitrixSyncRow, CallRequest, Notification, Payment, Shipment, OrderEvent, Document, OrderLine,
                      Order, CartItem, ReviewRequest, ModelFile, RateCardVersion, KeyValueItem, LoginFailureCounter,
                      User, CompanyDetails):
            await db.execute(delete(model))
        await db.commit()
    await engine.dispose()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app) as test_client:
        yield test_client


@pytest.fixture
async def other_client(settings) -> AsyncIterator[AsyncTestClient]:
    """A second browser, served by a second app process on the same database and Redis."""
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


async def csrf_token(client: AsyncTestClient, path: str = "/") -> str:
    page = await client.get(path)
    match = CSRF_META.search(page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def post_form(client: AsyncTestClient, path: str, data: dict, token_from: str = "/"):
    token = await csrf_token(client, token_from)
    return await client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


PERSON = {
    "account_type": "individual",
    "full_name": "Maria Ivanova",
    "email": "maria@example.com",
    "phone": "+7 912 345-67-89",
    "password": "correct horse battery",
    "password_confirm": "correct horse battery",
}

COMPANY = {
    **PERSON,
    "account_type": "legal",
    "full_name": "Oleg Smirnov",
    "email": "oleg@zavod.example.com",
    "company_name": "OOO Zavod",
    "inn": "7707083893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "legal_address": "Moscow, Vavilova st. 19",
}


ENTREPRENEUR = {
    **PERSON,
    "account_type": "entrepreneur",
    "full_name": "Ivan Ivanov",
    "email": "ivan@ip.example.com",
    "company_name": "IP Ivanov Ivan Ivanovich",
    "inn": "500100732259",
    "ogrn": "304500116000157",
    "legal_address": "Moscow, Lenina st. 1",
}


async def register(client: AsyncTestClient, person: dict | None = None):
    return await post_form(client, "/register", person or PERSON, token_from="/register")


async def login(client: AsyncTestClient, email: str, password: str):
    return await post_form(client, "/login", {"email": email, "password": password}, "/login")


@pytest.fixture
def smtp() -> Iterator[tuple[str, Mailbox]]:
    """A local SMTP server: its URL and what it received."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailing(settings, smtp) -> tuple[Settings, Mailbox]:
    """The app's settings with mail going to the local SMTP server, and that server's mailbox."""
    url, mailbox = smtp
    return replace(settings, mail=replace(settings.mail, smtp_url=url)), mailbox


async def run_queued_jobs(settings, scheduled: bool = False) -> None:
    """Services mode: a worker in burst mode runs what the app enqueued (the embedded default runs
    jobs in-process by itself); `scheduled`: and every job of its schedule, once."""
    if not settings.redis.url:
        return
    from arq.worker import Worker

    from jobs.context import build_context, close_context
    from jobs.worker import WorkerSettings

    ctx = build_context(settings)
    worker = Worker(
        functions=WorkerSettings.functions,
        cron_jobs=WorkerSettings.cron_jobs if scheduled else None,
        queue_name=WorkerSettings.queue_name,
        redis_settings=settings.redis.get_config(),
        on_startup=None,
        burst=True,
        poll_delay=0.05,
        ctx=ctx,
    )
    await worker.async_run()
    await worker.close()
    await close_context(ctx)
