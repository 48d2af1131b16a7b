"""Estimate what a model needs to train or serve: memory by component, FLOPs, roofline time, parallel plan, cost.

Three doors, one result type (:class:`Estimate`): :func:`estimate` for catalog ids, Hugging Face configs,
safetensors headers, zoo specs and saved models; :func:`estimate_module` for any ``nn.Module``, measured
exactly on the meta device; :func:`list_models` / :func:`list_hardware` for the bundled catalogs.
"""

from __future__ import annotations

from sizeup.estimation._catalog import (DTYPE_BYTES, ApiPrice, CatalogModel, Hardware, api_prices, get_hardware,
                                        list_hardware, list_models, read_price_file)
from sizeup.estimation._config import TransformerShape, shape_from_config
from sizeup.estimation._impl import estimate
from sizeup.estimation._module_estimate import estimate_module
from sizeup.estimation._params import ParamCounts, count_params
from sizeup.estimation._roofline import Efficiency, allreduce_seconds, compute_dtype, moe_fraction_touched
from sizeup.estimation._safetensors import safetensors_counts
from sizeup.estimation._types import Cost, Estimate, Flops, MemoryBreakdown, PlanChoice, Setup, Timing
from sizeup.estimation._winner import winner_costs

__all__ = [
    "estimate", "estimate_module", "list_models", "list_hardware", "get_hardware",
    "Estimate", "Setup", "MemoryBreakdown", "Flops", "Timing", "Cost", "PlanChoice", "Hardware", "CatalogModel",
    "ApiPrice", "Efficiency", "TransformerShape", "ParamCounts", "shape_from_config", "count_params",
    "safetensors_counts", "api_prices", "read_price_file", "DTYPE_BYTES", "allreduce_seconds", "compute_dtype",
    "moe_fraction_touched", "winner_costs",
]
