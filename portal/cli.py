"""The `portal` command: the Litestar CLI (run, routes, database …) plus our own commands."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "portal.app:create_app")
    # `portal run` listens where the portal's settings say, unless --host/--port say otherwise.
    os.environ.setdefault("LITESTAR_HOST", os.environ.get("PORTAL_HOST", "127.0.0.1"))
    os.environ.setdefault("LITESTAR_PORT", os.environ.get("PORTAL_PORT", "8000"))
    from litestar.cli.main import litestar_group

    litestar_group()
