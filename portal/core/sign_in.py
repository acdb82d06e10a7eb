"""What other domains do when someone logs in or registers. Accounts runs the steps, in the
sign-in's own transaction and before the session is renewed (a step may read what the visitor's
session held); the domains that need a step register it in `create_app()`: uploads made before
signing in are claimed, a manual-quote request typed before it is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncSession

SignInStep = Callable[[ASGIConnection, Any, AsyncSession], Awaitable[None]]


class SignInSteps:
    def __init__(self, steps: Iterable[SignInStep]) -> None:
        self.steps = tuple(steps)

    async def run(self, connection: ASGIConnection, user: Any, db: AsyncSession) -> None:
        for step in self.steps:
            await step(connection, user, db)


def provide_sign_in_steps(state: State) -> SignInSteps:
    return state.sign_in_steps
