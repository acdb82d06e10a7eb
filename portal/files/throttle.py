"""Anonymous uploads per client address and per visitor session, within a window.

The same atomic counters as the login throttle (Redis in services mode, one database row per
key in the embedded default): count first, then decide, so a burst cannot slip past the limit.
An upload request counts once when it starts and, once its files are received, once more for
every further file it carries, in one step: a burst of many-file forms stops at the limit too.
"""

from __future__ import annotations

from portal.accounts.throttle import AttemptCounter
from portal.config import UploadSettings


class UploadThrottle:
    def __init__(self, counter: AttemptCounter, settings: UploadSettings) -> None:
        self._counter = counter
        self._address_limit = settings.address_uploads
        self._session_limit = settings.session_uploads
        self._window = settings.window_seconds

    async def admit(self, address: str, visitor_key: str, files: int = 1) -> bool:
        """Count `files` uploads; False when the address or the session is over its limit."""
        from_address, from_session = await self._counter.add(
            self._keys(address, visitor_key), self._window, amount=files
        )
        return from_address <= self._address_limit and from_session <= self._session_limit

    @staticmethod
    def _keys(address: str, visitor_key: str) -> list[str]:
        return [f"upload-address:{address}", f"upload-session:{visitor_key}"]
