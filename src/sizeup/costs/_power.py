"""Energy of a serving fleet from board power × time, and its CO₂ at a grid's carbon intensity.

Board power while serving scales between idle and the board limit with how busy the step keeps the device:
P = P_idle + (P_TDP − P_idle) · u, where u is the larger of the achieved share of peak FLOP/s and of peak
bandwidth over a step (the linear utilisation–power model of Fan et al. 2007, "Power provisioning for a
warehouse-sized computer", §4, applied to the accelerator). Idle hours draw P_idle. Only the boards are counted
(no host CPU, memory or cooling) unless ``pue`` scales them. These are estimates, and each says so.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from sizeup.costs._serving import Replica
from sizeup.costs._types import EnergyEstimate, ServingPoint
from sizeup.costs.traffic import HOURS_PER_MONTH, Traffic
from sizeup.errors import SizeupError
from sizeup.estimation import compute_dtype

__all__ = ["serving_energy", "grid_intensity", "list_grids"]


@functools.lru_cache(maxsize=1)
def _grids() -> dict[str, dict[str, Any]]:
    data = json.loads((Path(__file__).with_name("catalog") / "grid_intensity.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def list_grids() -> dict[str, float]:
    """Region -> g CO₂e per kWh of the bundled table."""
    return {k: float(v["g_per_kwh"]) for k, v in _grids().items()}


def grid_intensity(grid: str | float | None) -> tuple[float | None, str | None]:
    """(g/kWh, label) for a region name or a number; (None, None) when no grid was given."""
    if grid is None:
        return None, None
    if isinstance(grid, (int, float)) or str(grid).replace(".", "", 1).isdigit():
        value = float(grid)
        if value < 0:
            raise SizeupError(f"--grid {grid!r} must be g CO2 per kWh ≥ 0 or a region name")
        return value, "given"
    key = str(grid).strip().lower()
    if key not in _grids():
        raise SizeupError(f"--grid {grid!r} is not in the table; choose one of {', '.join(_grids())} or give g/kWh")
    return float(_grids()[key]["g_per_kwh"]), key


def serving_energy(rep: Replica, point: ServingPoint, t: Traffic, *, gpus: int, utilisation: float,
                   grid: str | float | None = None, pue: float = 1.0) -> EnergyEstimate | None:
    """Energy per generated token and per month of ``gpus`` devices serving ``t`` at ``point``."""
    hw = rep.hw
    if hw.tdp_w is None or hw.idle_w is None:
        return None
    st = rep.steady(point.batch, t.input, t.output)
    peak, _ = hw.peak_flops(compute_dtype(rep.dtype))
    busy = min(1.0, max(st.flops / (peak * st.seconds), st.bytes / (hw.bandwidth_gbs * 1e9 * st.seconds)))
    watts = hw.idle_w + (hw.tdp_w - hw.idle_w) * busy
    mean_watts = utilisation * watts + (1 - utilisation) * hw.idle_w
    kwh = gpus * mean_watts * HOURS_PER_MONTH / 1000 * pue
    out_per_month = t.tokens_per_month * t.output / (t.input + t.output)
    g, label = grid_intensity(grid)
    return EnergyEstimate(
        joules_per_token=kwh * 3.6e6 / out_per_month, joules_per_token_busy=watts * rep.tp * pue / point.output_tokens_per_s,
        watts_busy=watts, kwh_per_month=kwh, co2_kg_per_month=kwh * g / 1000 if g is not None else None,
        grid_g_per_kwh=g, grid=label,
        source=(f"estimated: {hw.name} board power {hw.idle_w:g} W idle (assumed) to {hw.tdp_w:g} W TDP (datasheet), "
                f"{watts:.0f} W at the step's utilisation {busy:.2f}" + (f", × PUE {pue:g}" if pue != 1 else "")))
