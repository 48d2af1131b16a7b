"""Estimate what a model needs to train or serve: memory by component, FLOPs, roofline time, parallel plan, cost.

Three doors, one result type (:class:`Estimate`): :func:`estimate` for catalog ids, Hugging Face configs,
safetensors headers, zoo specs and saved models; :func:`estimate_module` for any ``nn.Module``, measured
exactly on the meta device; :func:`list_models` / :func:`list_hardware` for the bundled catalogs.
"""

from __future__ import annotations

from sizeup.estimate._catalog import ApiPrice, CatalogModel, Hardware, get_hardware, list_hardware, list_models
from sizeup.estimate._config import TransformerShape, shape_from_config
from sizeup.estimate._impl import estimate
from sizeup.estimate._module_estimate import estimate_module
from sizeup.estimate._params import ParamCounts, count_params
from sizeup.estimate._roofline import Efficiency
from sizeup.estimate._safetensors import safetensors_counts
from sizeup.estimate._types import Cost, Estimate, Flops, MemoryBreakdown, PlanChoice, Setup, Timing

__all__ = [
    "estimate", "estimate_module", "list_models", "list_hardware", "get_hardware",
    "Estimate", "Setup", "MemoryBreakdown", "Flops", "Timing", "Cost", "PlanChoice", "Hardware", "CatalogModel",
    "ApiPrice", "Efficiency", "TransformerShape", "ParamCounts", "shape_from_config", "count_params",
    "safetensors_counts",
]

from sizeup._callable import make_module_callable  # noqa: E402

make_module_callable(__name__, estimate)
