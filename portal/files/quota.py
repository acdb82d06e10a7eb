"""What one account may keep stored: the bytes of its files and their number, failed files too.

The quota is the settings' (PORTAL_ACCOUNT_QUOTA_MB, PORTAL_ACCOUNT_QUOTA_FILES) unless staff set
another for the account. An upload is counted against it after its rows are written, in the
upload's own transaction, while uploads to the same account take turns (`portal.db.turns`): a
burst of uploads stops at the quota and a refused upload stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.config import UploadSettings
from portal.core.i18n import N_, gettext, local_number, ngettext
from portal.db.models import User

MB = 1024 * 1024
GB = 1024 * MB

USAGE = N_("%(used)s of %(quota)s")
OVER_QUOTA = N_(
    "You have used %(used)s of your %(quota)s and %(files)s, and this upload does not fit: delete files "
    "you no longer need on the Files page."
)


@dataclass(frozen=True)
class Usage:
    bytes: int = 0
    files: int = 0


@dataclass(frozen=True)
class Quota:
    bytes: int
    files: int

    @classmethod
    def of(cls, user: User, settings: UploadSettings) -> Quota:
        mb = user.quota_mb if user.quota_mb is not None else settings.account_quota_mb
        files = user.quota_files if user.quota_files is not None else settings.account_quota_files
        return cls(mb * MB, files)

    def allows(self, usage: Usage) -> bool:
        return usage.bytes <= self.bytes and usage.files <= self.files


class QuotaExceeded(Exception):
    """The upload would take the account past its quota; `usage` is what it had before."""

    def __init__(self, usage: Usage, quota: Quota) -> None:
        super().__init__(f"{usage} over {quota}")
        self.usage = usage
        self.quota = quota


def size_text(size: int, whole: bool = False) -> str:
    """"1.2 GB", "350.0 MB" ("2 GB" when `whole` and it is whole), the reader's way."""
    unit, scale = (N_("%(size)s GB"), GB) if size >= GB else (N_("%(size)s MB"), MB)
    value = size / scale
    text = f"{value:,.0f}" if whole and value == int(value) else f"{value:,.1f}"
    return gettext(unit) % {"size": local_number(text)}


def usage_text(usage: Usage, quota: Quota) -> str:
    """"1.2 GB of 2 GB, 37 of 500 files"."""
    stored = gettext(USAGE) % {"used": size_text(usage.bytes), "quota": size_text(quota.bytes, whole=True)}
    return f"{stored}, {_files_text(usage, quota)}"


def over_quota_text(usage: Usage, quota: Quota) -> str:
    return gettext(OVER_QUOTA) % {
        "used": size_text(usage.bytes),
        "quota": size_text(quota.bytes, whole=True),
        "files": _files_text(usage, quota),
    }


def _files_text(usage: Usage, quota: Quota) -> str:
    return ngettext("%(num)s of %(max)s file", "%(num)s of %(max)s files", quota.files) % {
        "num": local_number(f"{usage.files:,}"), "max": local_number(f"{quota.files:,}")}
