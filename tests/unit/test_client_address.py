"""The client address used for throttling and logs: X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.core.security import client_address


def connection(peer: str, forwarded: str | None = None):
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return SimpleNamespace(client=SimpleNamespace(host=peer), headers=headers)


@pytest.mark.parametrize(
    "peer,forwarded,trusted,expected",
    [
        ("127.0.0.1", "203.0.113.9", [], "127.0.0.1"),  # nobody is trusted by default
        ("198.51.100.7", "203.0.113.9", ["127.0.0.1"], "198.51.100.7"),  # not our proxy
        ("172.18.0.5", "203.0.113.9", ["172.16.0.0/12"], "203.0.113.9"),  # our proxy
        ("172.18.0.5", "10.9.9.9, 203.0.113.9", ["172.16.0.0/12"], "203.0.113.9"),  # the hop it added
        ("172.18.0.5", "", ["172.16.0.0/12"], "172.18.0.5"),
    ],
)
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(peer, forwarded, trusted, expected) -> None:
    assert client_address(connection(peer, forwarded), trusted) == expected
