"""The transition map: one step forward at a time, cancelled only before production."""

from __future__ import annotations

from portal.db.orders import ORDER_STATUSES
from portal.orders.lifecycle import CANCELLABLE, FINAL, STATUS_NAMES, TRANSITIONS, allowed


def test_every_status_has_a_name_and_a_row() -> None:
    assert set(TRANSITIONS) == set(STATUS_NAMES) == set(ORDER_STATUSES)


def test_the_main_path_and_cancelling() -> None:
    path = ["submitted", "in_review", "awaiting_payment", "in_production", "shipped", "completed"]
    for current, following in zip(path, path[1:], strict=False):
        assert allowed(current, following)
        assert not allowed(following, current)
    assert CANCELLABLE == ("submitted", "in_review", "awaiting_payment")
    assert not allowed("in_production", "cancelled")
    assert all(TRANSITIONS[status] == () for status in FINAL)
    assert not allowed("submitted", "in_production")  # no skipping
