"""The one exponential backoff of the portal: job retries, the CRM outbox, a worker waiting for Redis."""

from __future__ import annotations

import random


def backoff(attempt: int, base: float, cap: float = float("inf"), spread: tuple[float, float] = (0.8, 1.2),
            rng: random.Random | None = None) -> float:
    """Seconds to wait before `attempt` (1, 2, 3 …): base, 2 × base, 4 × base … at most `cap`,
    times a random factor within `spread` so that many waiting at once do not come back at once."""
    return min(cap, base * 2 ** max(0, attempt - 1)) * (rng or random).uniform(*spread)
