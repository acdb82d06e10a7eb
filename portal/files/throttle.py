"""Uploads per client address and per visitor session (anonymous), per account (logged in).

The same atomic counters as the login throttle (Redis in services mode, one database row per
key in the embedded default): count first, then decide, so a burst cannot slip past the limit.
An upload request counts once when it starts and, once its files are received, once more for
every further file it carries, in one step: a burst of many-file forms stops at the limit too.
"""

from __future__ import annotations

from typing import Any

from portal.config import UploadSettings
from portal.core.throttle import AttemptCounter

ACCOUNT_WINDOW_SECONDS = 3600


class UploadThrottle:
    def __init__(self, counter: AttemptCounter, settings: UploadSettings) -> None:
        self._counter = counter
        self._address_limit = settings.address_uploads
        self._session_limit = settings.session_uploads
        self._window = settings.window_seconds
        self._account_limit = settings.account_uploads

    async def admit(self, address: str, visitor_key: str, files: int = 1) -> bool:
        """Count `files` anonymous uploads; False when the address or the session is over its limit."""
        from_address, from_session = await self._counter.add(
            self._keys(address, visitor_key), self._window, amount=files
        )
        return from_address <= self._address_limit and from_session <= self._session_limit

    async def admit_account(self, user_id: Any, files: int = 1) -> bool:
        """Count `files` uploads of a logged-in account; False when it is over its hourly limit."""
        [count] = await self._counter.add([f"upload-account:{user_id}"], ACCOUNT_WINDOW_SECONDS, amount=files)
        return count <= self._account_limit

    @staticmethod
    def _keys(address: str, visitor_key: str) -> list[str]:
        return [f"upload-address:{address}", f"upload-session:{visitor_key}"]
