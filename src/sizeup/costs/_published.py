"""The table of published measurements the serving model is checked against (``catalog/published.csv``, one
row per figure with its source and date; rows with a tolerance are issue 21's bars, the others are shown for
information), and sizeup's estimate for each row, computed the one way the tests and the benchmark use."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from sizeup.costs._capacity import choose_point, fleet
from sizeup.costs._impl import _replica
from sizeup.costs._serving import Replica, ServingEfficiency
from sizeup.costs.traffic import Slo, Traffic
from sizeup.estimation import get_hardware

__all__ = ["PublishedRow", "published_rows", "estimate_row", "replica_for"]


@dataclass(frozen=True)
class PublishedRow:
    id: str
    what: str
    model: str
    hardware: str
    dtype: str
    kv_dtype: str
    input: int
    output: int
    batch: int | None  # None: saturated (the largest batch the KV cache holds, up to max_batch)
    max_batch: int | None
    usd_per_hour: float | None
    metric: str
    published: float
    published_high: float | None  # a published range's upper end
    tolerance: float | None  # the bar; None for rows shown for information (no bar)
    engine: str
    source: str
    date: str

    def error(self, estimate: float) -> float:
        """Relative distance of ``estimate`` from the published figure (0 inside a published range)."""
        high = self.published_high or self.published
        if self.published <= estimate <= high:
            return 0.0
        edge = self.published if estimate < self.published else high
        return estimate / edge - 1

    def within(self, estimate: float) -> bool | None:
        return None if self.tolerance is None else abs(self.error(estimate)) <= self.tolerance + 1e-12


def _opt(value: str, kind: type) -> object:
    return kind(value) if value not in ("", None) else None


@functools.lru_cache(maxsize=1)
def published_rows() -> tuple[PublishedRow, ...]:
    path = Path(__file__).with_name("catalog") / "published.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(PublishedRow(
            id=r["id"], what=r["what"], model=r["model"], hardware=r["hardware"], dtype=r["dtype"], kv_dtype=r["kv_dtype"],
            input=int(r["input"]), output=int(r["output"]), batch=_opt(r["batch"], int), max_batch=_opt(r["max_batch"], int),
            usd_per_hour=_opt(r["usd_per_hour"], float), metric=r["metric"], published=float(r["published"]),
            published_high=_opt(r["published_high"], float), tolerance=_opt(r["tolerance"], float), engine=r["engine"],
            source=r["source"], date=r["date"]) for r in csv.DictReader(f))


def replica_for(row: PublishedRow, eff: ServingEfficiency | None = None) -> Replica:
    hw = get_hardware(row.hardware, usd_per_hour=row.usd_per_hour)
    t = Traffic(tokens_per_day=1.0, input=row.input, output=row.output)
    return _replica(row.model, hw, t, dtype=row.dtype, kv_dtype=row.kv_dtype, tp=1, eff=eff or ServingEfficiency())[0]


def estimate_row(row: PublishedRow, eff: ServingEfficiency | None = None) -> float:
    """sizeup's figure for ``row``'s metric, at the row's batch (or saturated)."""
    from sizeup.costs._power import serving_energy

    rep = replica_for(row, eff)
    t = Traffic(tokens_per_day=1.0, input=row.input, output=row.output)
    if row.metric == "ttft_ms":
        return rep.ttft(1, row.input, row.output) * 1e3
    if row.metric == "decode_tokens_per_s":
        ctx = row.input + row.output / 2
        return row.batch / rep.step(decode=row.batch, prefill=0, context=ctx, prompt=row.input).seconds
    cap = row.batch or min(rep.max_batch(row.input, row.output), row.max_batch or 10**9)
    point = choose_point(rep, t, Slo(), max_batch=cap)
    if row.metric == "output_tokens_per_s":
        return point.output_tokens_per_s
    if row.metric == "total_tokens_per_s":
        return point.output_tokens_per_s + point.prefill_tokens_per_s
    if row.metric == "joules_per_token_busy":
        return serving_energy(rep, point, t, gpus=1, utilisation=1.0).joules_per_token_busy
    if row.metric == "usd_per_1m_output_full_load":
        return fleet(point, t, tp=1, usd_per_gpu_hour=rep.hw.usd_per_hour)["usd_per_1m_output_full_load"]
    raise ValueError(f"published.csv row {row.id}: unknown metric {row.metric!r}")
