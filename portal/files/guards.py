"""Who may see a model file: its owner, staff, anyone for a demo file, and nobody else.

Everyone else gets 404 (not 403): a file id says nothing about whether the file exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection

from portal.db.models import ModelFile, User

VISITOR_KEY = "visitor"  # the session entry that ties anonymous uploads to the browser


@dataclass(frozen=True)
class Viewer:
    user: User | None
    visitor_key: str | None  # the anonymous session's key, if it has uploaded anything

    @property
    def is_staff(self) -> bool:
        return bool(self.user and self.user.is_staff)

    @property
    def user_id(self) -> Any:
        return self.user.id if self.user else None


def viewer_of(connection: ASGIConnection) -> Viewer:
    session = connection.scope.get("session")
    key = session.get(VISITOR_KEY) if isinstance(session, dict) else None
    return Viewer(user=connection.scope.get("user"), visitor_key=key if isinstance(key, str) else None)


def ensure_visitor_key(connection: ASGIConnection) -> str:
    """The anonymous visitor's key, created (and kept in the session) at the first upload."""
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        session = {}
        connection.scope["session"] = session
    key = session.get(VISITOR_KEY)
    if not isinstance(key, str):
        key = session[VISITOR_KEY] = secrets.token_urlsafe(24)
    return key


def owns(file: ModelFile, viewer: Viewer) -> bool:
    if viewer.user is not None:
        return file.owner_id == viewer.user.id
    return file.owner_id is None and viewer.visitor_key is not None and file.visitor_key == viewer.visitor_key


def can_see(file: ModelFile, viewer: Viewer) -> bool:
    return file.is_demo or viewer.is_staff or owns(file, viewer)


def can_change(file: ModelFile, viewer: Viewer) -> bool:
    """Rename, delete, remember options: the owner and staff; a demo file only staff."""
    return viewer.is_staff or (owns(file, viewer) and not file.is_demo)
