"""What every job gets in its context, built once per worker (or once per app in-process)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from portal.config import Settings
from portal.core.links import SiteLinks
from portal.core.mail import Mail
from portal.core.queue import JobQueue
from portal.crm.client import bitrix_client
from portal.db.engine import create_engine, create_sessionmaker
from portal.db.unit_of_work import ServiceT
from portal.db.unit_of_work import unit_of_work as _unit_of_work
from portal.files.analysis import ModelAnalyzer
from portal.files.slicing import ModelSlicer
from portal.files.storage import build_storage
from portal.orders.controllers import OrderController
from portal.orders.crm_side import OrderLink


def build_context(settings: Settings, queue: JobQueue | None = None, **overrides: Any) -> dict[str, Any]:
    """`queue`: the queue that runs these jobs in-process (the embedded default); a worker gets
    its own, to enqueue follow-up jobs."""
    engine = create_engine(settings.database)
    context = {
        "settings": settings,
        "engine": engine,
        "sessionmaker": create_sessionmaker(engine),
        "storage": build_storage(settings.storage),
        "analyzer": ModelAnalyzer.from_settings(settings.analysis),
        "slicer": ModelSlicer.from_settings(settings.analysis),
        "queue": queue or JobQueue(settings),
        "owns_queue": queue is None,
        # one Bitrix24 client, and so one leaky bucket, for every job of the process (None: off)
        "bitrix": bitrix_client(settings.bitrix, settings.redis.url),
    }
    # what the Bitrix24 sync may do to orders (a status sales set, the invoice PDF) and the mail
    # that tells the customer; links in both go to the order's page on the configured site
    mail = context["mail"] = Mail(settings.mail, context["queue"])
    links = context["links"] = SiteLinks(settings.site_url, [OrderController])
    context["crm_orders"] = OrderLink(context["storage"], mail, links, context["queue"])
    context.update(overrides)
    return context


async def close_context(ctx: dict[str, Any]) -> None:
    ctx["analyzer"].close()
    ctx["slicer"].close()
    if ctx.get("bitrix") is not None:
        await ctx["bitrix"].aclose()
    if ctx.get("owns_queue"):
        await ctx["queue"].close()
    await ctx["engine"].dispose()


def unit_of_work(ctx: dict[str, Any], service_type: type[ServiceT]) -> AbstractAsyncContextManager[ServiceT]:
    """A job's body: load, call the service, commit (see portal/db/unit_of_work.py).

        async def purge_expired(ctx):
            async with unit_of_work(ctx, SessionService) as sessions:
                return await sessions.purge_expired()
    """
    return _unit_of_work(ctx["sessionmaker"], service_type)
