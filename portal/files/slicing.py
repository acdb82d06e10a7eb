"""Print slices: PrusaSlicer run on the worker in a sandbox, each slice kept beside its model.

Instant first, exact next: an FDM quote is priced at once from the estimate; the slice for the
file's bytes and the chosen (material, layer, infill, orientation, units) is made once, by the
`slice_model` job, and kept in storage as a small JSON object next to the model
(`slices/<sha256>.<options>.json`). A panel asks `SliceService.kept_or_enqueue()`: the kept
slice, or None after enqueueing the job (one job id per slice, so asking again does nothing),
and prices from the slice once it is there. A slice that failed, ran out of time or found no
slicer is kept too, with its code: the price stays the estimate and says why.

    web:    kept_or_enqueue() ── storage read ──▶ KeptSlice | None (+ enqueue slice_model)
    worker: slice_model ──▶ ModelSlicer.slice() ──▶ sandbox child ──▶ prusa-slicer
                        ──▶ SliceService.keep() ── storage write
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from geometry.model import GeometryError
from geometry.pricing import QuoteOptions, RateCard
from geometry.pricing.engine import resolve
from geometry.slicer import SliceOptions, SliceResult
from portal.files.storage import Storage, slice_key

SLICE_JOB = "slice_model"


class ModelSlicer:
    """A warm sandbox of its own (imports only the slicer's side of geometry) and the program.

    Blocking: call `slice()` from a worker thread. The sandbox starts on the first slice.
    """

    def __init__(self, slicer_path: str, memory_mb: int, cpu_seconds: float, wall_seconds: float) -> None:
        from geometry.sandbox import Sandbox

        self.slicer_path = slicer_path
        self.wall_seconds = wall_seconds
        self._sandbox = Sandbox(
            memory_mb=memory_mb,
            cpu_seconds=cpu_seconds,
            wall_seconds=wall_seconds,
            preload=("geometry.slicer", "geometry.analyze"),
            warmup=(),
        )

    @classmethod
    def from_settings(cls, settings) -> ModelSlicer:
        return cls(settings.slicer_path, settings.memory_mb, settings.cpu_seconds, settings.wall_seconds)

    def slice(self, path: Path, options: SliceOptions) -> SliceResult | GeometryError:
        """The slice, or the error that stopped it (`slicer_missing`, `slice_failed`,
        `slice_timeout`, or the reader's own code for a file that cannot be read)."""
        from geometry.slicer import slice_model

        try:
            return slice_model(os.fspath(path), options, self.slicer_path, self._sandbox)
        except GeometryError as error:
            return error

    def close(self) -> None:
        self._sandbox.close()


@dataclass(frozen=True)
class KeptSlice:
    """A kept slice: its figures, or the code of what stopped it (the price stays the estimate)."""

    result: SliceResult | None
    error_code: str | None = None
    error_params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        if self.result is not None:
            return {"result": self.result.as_dict()}
        return {"error": {"code": self.error_code, "params": self.error_params}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> KeptSlice:
        if "result" in data:
            return cls(SliceResult.from_dict(data["result"]))
        error = data.get("error") or {}
        return cls(None, error.get("code") or "slice_failed", error.get("params") or {})


def slice_options(card: RateCard, options: QuoteOptions, scale: Decimal | float = 1) -> SliceOptions | None:
    """The slice an FDM quote with these options needs (None: not an FDM quote, nothing to slice).

    Raises GeometryError for options the card does not offer, as pricing does."""
    choice = resolve(card, options)
    if choice.printing is None:
        return None
    return SliceOptions(
        material=choice.material.id,
        density_g_cm3=float(choice.material.density_g_cm3),
        layer_mm=choice.printing.layer_mm,
        infill_percent=choice.printing.infill_percent,
        orientation=choice.printing.orientation,
        scale=float(scale),
    ).check()


def slice_job_id(sha256: str, options: SliceOptions) -> str:
    """One job per slice: asking again while it is queued or running enqueues nothing."""
    return f"{SLICE_JOB}:{sha256}:{options.key()}"


def options_data(options: SliceOptions) -> dict[str, Any]:
    """The options as plain data, for the job's arguments."""
    return {
        "material": options.material,
        "density_g_cm3": options.density_g_cm3,
        "layer_mm": options.layer_mm,
        "infill_percent": options.infill_percent,
        "orientation": options.orientation,
        "scale": options.scale,
    }


class SliceService:
    """Kept slices, by the model's bytes (sha256) and the slice options; no table of its own."""

    def __init__(self, storage: Storage, queue: Any = None) -> None:
        self.storage = storage
        self.queue = queue

    async def kept(self, sha256: str, options: SliceOptions) -> KeptSlice | None:
        chunks = []
        try:
            async for chunk in self.storage.stream(slice_key(sha256, options.key())):
                chunks.append(chunk)
        except FileNotFoundError:
            return None
        try:
            return KeptSlice.from_dict(json.loads(b"".join(chunks)))
        except (ValueError, TypeError, KeyError):  # a damaged object: slice again
            return None

    async def kept_or_enqueue(self, sha256: str, options: SliceOptions) -> KeptSlice | None:
        """The kept slice; or None, once the job that makes it is enqueued."""
        kept = await self.kept(sha256, options)
        if kept is None and self.queue is not None:
            await self.queue.enqueue(SLICE_JOB, sha256, options_data(options), job_id=slice_job_id(sha256, options))
        return kept

    async def keep(self, sha256: str, options: SliceOptions, outcome: SliceResult | GeometryError) -> KeptSlice:
        if isinstance(outcome, GeometryError):
            kept = KeptSlice(None, outcome.code, dict(outcome.params))
        else:
            kept = KeptSlice(outcome)
        await self.storage.put_bytes(slice_key(sha256, options.key()), json.dumps(kept.as_dict()).encode())
        return kept
