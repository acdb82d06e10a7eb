"""The portal with one extra route for the poll benchmark: `POST /bench/poll-step?seconds=…` sets
how often a waiting status poll looks at the database, so the steps can be compared in turns on
one server."""

from __future__ import annotations

from litestar import Litestar, MediaType, post
from litestar.datastructures import State

from portal.app import create_app


@post("/bench/poll-step", media_type=MediaType.TEXT, name="bench_poll_step", sync_to_thread=False,
      exclude_from_csrf=True)
def poll_step(state: State, seconds: float) -> str:
    state.status_watch.step_seconds = seconds
    return str(seconds)


def create_bench_app() -> Litestar:
    app = create_app()
    app.register(poll_step)
    return app
