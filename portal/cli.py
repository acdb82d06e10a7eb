"""The `portal` command: the Litestar CLI (routes, database …) plus our own commands (run, worker…)."""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("LITESTAR_APP", "portal.app:create_app")
    from litestar.cli.main import litestar_group

    litestar_group()
