"""What the server started by `portal run` does with the network in front of it."""

from __future__ import annotations

import json
import re

import httpx

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def _logged_addresses(log_text: str, email: str) -> list[str]:
    addresses = []
    for line in log_text.splitlines():
        if line.startswith("{") and f'"{email}"' in line:
            entry = json.loads(line)
            if entry.get("event") == "login_failed":
                addresses.append(entry["address"])
    return addresses


def test_a_forwarded_for_header_from_the_client_is_not_believed(server) -> None:
    """No trusted proxy is configured: the address logged and throttled is the peer's own."""
    email = "forwarded@example.com"
    with httpx.Client(base_url=server.base_url) as client:
        token = CSRF_META.search(client.get("/login").text).group(1)
        response = client.post(
            "/login",
            data={"email": email, "password": "wrong password", "_csrf_token": token},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    assert response.status_code == 422
    assert _logged_addresses(server.log.read_text(), email) == ["127.0.0.1"]
