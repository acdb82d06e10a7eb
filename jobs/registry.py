"""Every job function by the name the queue uses, and the jobs that run on a schedule."""

from __future__ import annotations

from dataclasses import dataclass

from jobs import accounts, mail

JOBS = {
    "purge_expired": accounts.purge_expired,
    "send_mail": mail.send_mail,
}


@dataclass(frozen=True)
class Periodic:
    name: str
    every_minutes: int  # a divisor of 60: the worker's cron runs at these minutes of each hour


SCHEDULE = [Periodic("purge_expired", every_minutes=30)]
