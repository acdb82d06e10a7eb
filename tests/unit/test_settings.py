"""Each setting is declared once (a field with its variable and default) and read the same way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.config import MIB, AuthSettings, BitrixSettings, Settings, SettingsError, UploadSettings, from_environment

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_the_settings_read_is_in_the_readme() -> None:
    documented = set(re.findall(r"PORTAL_[A-Z0-9_]+", (ROOT / "README.md").read_text()))
    declared = Settings.declared()
    assert len(declared) > 60
    assert sorted(set(declared) - documented) == []


def test_no_variable_is_read_outside_the_declarations() -> None:
    declared = set(Settings.declared())
    read_elsewhere = {
        (path.relative_to(ROOT).as_posix(), name)
        for folder in ("portal", "jobs", "geometry")
        for path in (ROOT / folder).rglob("*.py")
        for name in re.findall(r"PORTAL_[A-Z0-9_]+", path.read_text())
        if name not in declared
    }
    assert read_elsewhere == set()


def test_unset_variables_give_the_declared_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_LOGIN_ACCOUNT_FAILURES", "")
    monkeypatch.delenv("PORTAL_UPLOAD_MAX_MB", raising=False)
    assert from_environment(AuthSettings) == AuthSettings()
    assert from_environment(UploadSettings).max_file_bytes == 100 * MIB


def test_variables_are_converted_by_the_field_type(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_UPLOAD_MAX_MB", "5")
    monkeypatch.setenv("PORTAL_FAILED_UPLOAD_DAYS", "0")
    monkeypatch.setenv("PORTAL_BITRIX_RATE", "0.5")
    monkeypatch.setenv("PORTAL_BITRIX_INVOICE_STAGES", "C1:WON, C1:LOSE")
    monkeypatch.setenv("PORTAL_BITRIX_STAGE_MAP", "NEW=submitted,C1:WON=completed")
    monkeypatch.setenv("PORTAL_BITRIX_INVOICE_TEMPLATE_ID", "12")
    uploads = from_environment(UploadSettings)
    bitrix = from_environment(BitrixSettings)
    assert uploads.max_file_bytes == 5 * MIB
    assert uploads.failed_days == 1  # the smallest taken
    assert bitrix.rate == 0.5
    assert bitrix.invoice_stages == ("C1:WON", "C1:LOSE")
    assert bitrix.stage_map == {"NEW": "submitted", "C1:WON": "completed"}
    assert bitrix.invoice_template_id == 12


def test_a_value_that_does_not_parse_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_LOGIN_WINDOW_SECONDS", "fifteen minutes")
    with pytest.raises(SettingsError, match="PORTAL_LOGIN_WINDOW_SECONDS='fifteen minutes' is not a valid int"):
        from_environment(AuthSettings)


def test_paths_follow_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "STORAGE_DIR", "SECRET_KEY", "HTTPS", "REDIS_URL"):
        monkeypatch.delenv(f"PORTAL_{name}", raising=False)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path / 'portal.sqlite3'}"
    assert settings.storage.root == tmp_path / "storage"
    assert settings.server.secret_key == (tmp_path / "secret_key").read_text().strip()
    assert settings.session.cookie_name == "session"
    assert Settings.from_env().server.secret_key == settings.server.secret_key  # kept, not per process
