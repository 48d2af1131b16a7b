"""Serving cost at a traffic pattern, against every API of a dated price catalog, and energy.

:func:`cost` answers "for my traffic, which is cheaper, and does it meet my latency target?": the batch the
SLO allows under continuous batching, the replicas the peak needs, utilisation, $ per month and per 1M tokens,
the same traffic on each API, the break-even, and the fleet's energy and CO₂ (estimated, and labelled so).
:func:`energy_meter` measures the energy of any block of work (RAPL, NVML) or estimates it, saying which.
"""

from __future__ import annotations

from sizeup.costs._impl import DEFAULT_HARDWARE, cost
from sizeup.costs._power import grid_intensity, list_grids
from sizeup.costs._serving import Replica, ServingEfficiency
from sizeup.costs._types import ApiOption, Breakeven, CostResult, EnergyEstimate, HardwareOption, ServingPoint
from sizeup.costs.energy import EnergyMeter, energy_meter
from sizeup.costs.page import write_cost_page
from sizeup.costs.traffic import Slo, Traffic, parse_slo, parse_traffic

__all__ = [
    "cost", "CostResult", "HardwareOption", "ApiOption", "Breakeven", "ServingPoint", "EnergyEstimate",
    "Traffic", "Slo", "parse_traffic", "parse_slo", "ServingEfficiency", "Replica", "DEFAULT_HARDWARE",
    "energy_meter", "EnergyMeter", "grid_intensity", "list_grids", "write_cost_page",
]
