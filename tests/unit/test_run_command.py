"""`portal run`: several worker processes only in the services mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import uvicorn
from click.testing import CliRunner

from portal.commands import run
from portal.config import get_settings


@pytest.fixture
def served(monkeypatch) -> Iterator[list[dict]]:
    """uvicorn.run replaced by a recorder: the command's checks run, no server starts. The
    settings are read afresh from each test's environment."""
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **options: calls.append(options))
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_several_workers_without_redis_are_refused(served, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PORTAL_REDIS_URL", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(run, ["--workers", "3"])
    assert result.exit_code == 2
    assert "--workers above 1 needs PORTAL_REDIS_URL" in result.output
    assert served == []


def test_one_worker_without_redis_is_served(served, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("PORTAL_REDIS_URL", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(run, [])
    assert result.exit_code == 0, result.output
    assert [call["workers"] for call in served] == [1]


def test_several_workers_with_redis_are_served(served, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PORTAL_REDIS_URL", "redis://127.0.0.1:6379/13")
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(run, ["--workers", "3"])
    assert result.exit_code == 0, result.output
    assert [call["workers"] for call in served] == [3]
