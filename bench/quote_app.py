"""The portal with one extra route for the quote benchmark: a bare endpoint that returns a fixed
string, behind the same middleware, in the same process, served by the same uvicorn."""

from __future__ import annotations

from litestar import Litestar, MediaType, get

from portal.app import create_app


@get("/bench/fixed", media_type=MediaType.TEXT, name="bench_fixed", sync_to_thread=False)
def fixed() -> str:
    return "a fixed string"


def create_bench_app() -> Litestar:
    app = create_app()
    app.register(fixed)
    return app
