"""One-time messages shown on the next page (after a redirect), kept in the session."""

from __future__ import annotations

from litestar.connection import ASGIConnection


def flash(connection: ASGIConnection, message: str, category: str = "info") -> None:
    """`message` is English source text marked with N_; the page translates it."""
    session = connection.scope.get("session")
    if not isinstance(session, dict):
        session = {}
        connection.scope["session"] = session
    session.setdefault("flash", []).append({"message": message, "category": category})


def pop_flashes(connection: ASGIConnection) -> list[dict[str, str]]:
    session = connection.scope.get("session")
    if not isinstance(session, dict) or "flash" not in session:
        return []
    return session.pop("flash")


def kept_flashes(connection: ASGIConnection) -> list[dict[str, str]]:
    """The messages not shown yet, for carrying over into a fresh session."""
    session = connection.scope.get("session")
    return list(session.get("flash", [])) if isinstance(session, dict) else []
