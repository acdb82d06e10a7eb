"""A real arq worker for the CRM tests: `python -m tests.integration.crm_worker [--crash-on TYPE[:ACTION]]`.

It is `portal worker` with a short job timeout (arq frees a crashed worker's job after the
timeout plus 10 s). With --crash-on, the process kills itself (SIGKILL, no clean-up) the first
time a row of that entity type (and action, `upsert` unless named) has its Bitrix24 answer and
is about to be marked sent.
"""

from __future__ import annotations

import argparse
import os
import signal

from arq.worker import run_worker

import portal.crm.sync as sync
from jobs.worker import WorkerSettings
from portal.db.models import BitrixSyncRow

JOB_TIMEOUT_SECONDS = 5


def crash_before_marking(entity_type: str, action: str = "upsert") -> None:
    mark_sent = sync._mark_sent

    async def crash(db, row_id, result):
        row = await db.get(BitrixSyncRow, row_id)
        if row is not None and row.entity_type == entity_type and row.action == action:
            os.kill(os.getpid(), signal.SIGKILL)
        await mark_sent(db, row_id, result)

    sync._mark_sent = crash


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--crash-on")
    options = parser.parse_args()
    if options.crash_on:
        crash_before_marking(*options.crash_on.split(":"))
    run_worker(WorkerSettings, job_timeout=JOB_TIMEOUT_SECONDS)  # type: ignore[arg-type]
