"""Password-reset links: signed, valid for 30 minutes, good for one use.

Nothing is stored. The token carries the user's id and a fingerprint of what the reset changes
(the password hash and the session version), signed with the server's secret and timestamped
(itsdangerous). Setting the new password changes the fingerprint, so the link, and every other
link sent before it, stops working; so does a password change, a deactivation or a change of
e-mail in the meantime.
"""

from __future__ import annotations

import hashlib
import uuid

from itsdangerous import BadData, URLSafeTimedSerializer

from portal.db.models import User

RESET_LINK_SECONDS = 30 * 60


def fingerprint(user: User) -> str:
    state = f"{user.password_hash}|{user.session_version}|{user.email}|{user.is_active}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


class ResetTokens:
    def __init__(self, secret_key: str, max_age: int = RESET_LINK_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="portal.password-reset")
        self._max_age = max_age

    def make(self, user: User) -> str:
        return self._serializer.dumps([user.id.hex, fingerprint(user)])

    def read(self, token: str) -> tuple[uuid.UUID, str] | None:
        """The user id and fingerprint of a genuine, unexpired token; None for anything else."""
        if len(token) > 400:
            return None
        try:
            user_hex, marker = self._serializer.loads(token, max_age=self._max_age)
            return uuid.UUID(hex=str(user_hex)), str(marker)
        except (BadData, ValueError, TypeError):
            return None
