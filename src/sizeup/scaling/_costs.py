"""What each size costs: exact counts from the estimator, times calibrated on the sizes measured here.

Memory, FLOPs and training compute come from :func:`sizeup.estimation.estimate_module` on the meta device,
so a size nobody trained is priced as exactly as one that was. A roofline alone is far from the wall clock
for models this small (a forward of a few thousand parameters is bound by per-call overhead), so the times
here are a linear model fitted to the measured sizes, time = c0 + c1·roofline + c2·module calls, with
non-negative coefficients (SciPy's bounded, robust least squares on relative errors). Memory is calibrated the
same way, c_w·weights + c_a·activations: the estimator is exact for linear layers (c = 1), while the profiler
also sees buffers the meta device does not (a convolution's workspace). GPU figures are the roofline
on the chosen catalog device, a lower bound: a tiny model on a GPU is bound by kernel launches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from sizeup._imports import optional_import
from sizeup.data.bundle import DataInfo
from sizeup.scaling._powerlaw import one_blas_thread

__all__ = ["SizeProfile", "profile_size", "Calibration", "calibrate", "SizeCost", "price", "SERVE_BATCH", "steps_per_run"]

SERVE_BATCH = 256  # the batch that prices predictions: sizeup.measure's throughput batch


@dataclass
class SizeProfile:
    """One size as the estimator sees it (no weights allocated)."""

    knobs: dict[str, Any]
    params: int
    forward_flops: float  # per sample
    train_flops_per_sample: float  # forward + backward
    memory_mb: float  # inference at batch 1: weights + peak activations
    weights_mb: float
    calls: int  # leaf-module calls in one forward: a proxy for per-call overhead
    serve_batch: int  # the batch that prices predictions
    roofline: dict[str, float]  # seconds: "latency" (batch 1), "batch" (serve_batch), "step" (training batch), here
    gpu: dict[str, float]  # the same on the chosen device
    gpu_memory_mb: float  # training memory per device at the training batch


def _leaf_calls(model: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> int:
    count = [0]
    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(lambda *_: count.__setitem__(0, count[0] + 1)) for m in leaves]
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return count[0]


def profile_size(family: str, info: DataInfo, knobs: dict[str, Any], *, batch_size: int, hardware: str,
                 serve_batch: int = SERVE_BATCH) -> SizeProfile:
    """Estimate one size here (CPU roofline) and on ``hardware``: inference at batch 1 and at ``serve_batch``,
    one training step at ``batch_size``."""
    from sizeup.estimation import estimate_module
    from sizeup.estimation._zoo import meta_inputs
    from sizeup.zoo import build

    with torch.device("meta"):
        model = build(family, info, **knobs)

    def est(batch: int, mode: str, hw: str):
        return estimate_module(model, meta_inputs(info, batch), mode=mode, hardware=hw)

    one, many, step = est(1, "infer", "cpu"), est(serve_batch, "infer", "cpu"), est(batch_size, "train", "cpu")
    g_one, g_many, g_step = est(1, "infer", hardware), est(serve_batch, "infer", hardware), est(batch_size, "train", hardware)
    return SizeProfile(
        knobs=dict(knobs), params=one.params, forward_flops=one.flops.forward, train_flops_per_sample=step.flops.train,
        memory_mb=one.memory.total / 2**20, weights_mb=one.memory.weights / 2**20, calls=_leaf_calls(model, meta_inputs(info, 1)), serve_batch=serve_batch,
        roofline={"latency": one.timing.step_s, "batch": many.timing.step_s, "step": step.timing.step_s},
        gpu={"latency": g_one.timing.step_s, "batch": g_many.timing.step_s, "step": g_step.timing.step_s},
        gpu_memory_mb=g_step.memory.total / 2**20)


def _features(p: SizeProfile, what: str, steps: float) -> list[float]:
    """What each quantity is linear in: memory in the estimator's weights and activations, a time in a
    fixed cost, the roofline time and the module calls (per step for training, ``steps`` of them)."""
    if what == "memory":
        return [p.weights_mb, p.memory_mb - p.weights_mb]
    mult = steps if what == "train" else 1.0
    return [1.0, p.roofline["step" if what == "train" else what] * mult, p.calls * mult]


@dataclass
class Calibration:
    """Per quantity (latency, batch, train, memory), coefficients of :func:`_features` fitted on measured sizes."""

    steps: float
    coef: dict[str, list[float]] = field(default_factory=dict)

    def predict(self, what: str, p: SizeProfile) -> float:
        return float(np.dot(self.coef[what], _features(p, what, self.steps)))


def _fit_linear(features: np.ndarray, target: np.ndarray) -> list[float]:
    """Non-negative robust least squares on relative errors: a soft-L1 loss that stops counting a point's
    residual quadratically beyond 5 %, so one call slowed by a busy machine cannot set the slope."""
    optimize = optional_import("scipy.optimize", extra="scaling", feature="the scaling fit")
    scale = features.max(axis=0)
    scale[scale == 0] = 1.0
    rows = features / scale / target[:, None]
    ones = np.ones(len(target))
    with one_blas_thread():
        start = optimize.lsq_linear(rows, ones, bounds=(0, np.inf), method="bvls").x
        robust = optimize.least_squares(lambda c: rows @ c - ones, np.maximum(start, 1e-12), jac=lambda c: rows,
                                        bounds=(0, np.inf), loss="soft_l1", f_scale=0.05)
    return [float(c) for c in robust.x / scale]


def calibrate(profiles: Sequence[SizeProfile], measured: Sequence[dict[str, float]], *, steps: float) -> Calibration:
    """Fit latency, serving-batch time, training time and memory to ``measured`` (per size: ``latency_s``,
    ``batch_s``, ``train_s``, ``memory_mb``)."""
    cal = Calibration(steps=steps)
    for what, key in (("latency", "latency_s"), ("batch", "batch_s"), ("train", "train_s"), ("memory", "memory_mb")):
        x = np.array([_features(p, what, steps) for p in profiles], dtype=float)
        cal.coef[what] = _fit_linear(x, np.array([m[key] for m in measured], dtype=float))
    return cal


@dataclass
class SizeCost:
    """The figures a user weighs for one size: here (measured or calibrated forecast) and on a GPU (roofline)."""

    knobs: dict[str, Any]
    params: int
    forward_flops: float
    train_flops: float  # the whole recipe: (forward + backward) per sample × samples seen
    memory_mb: float  # inference, batch 1: the estimate calibrated on the measured sizes
    estimated_memory_mb: float  # the estimator's own figure (meta device)
    latency_ms: float  # batch 1, here
    train_seconds: float  # here
    seconds_per_1k: float  # predictions at batch SERVE_BATCH, here
    usd_per_1k_here: float | None
    gpu_train_seconds: float
    gpu_latency_ms: float
    gpu_usd_per_1k: float
    gpu_train_memory_mb: float
    measured: bool  # latency, train time, throughput and memory measured here (else forecast by the calibration)


def price(p: SizeProfile, cal: Calibration, *, samples_seen: float, usd_per_hour: float,
          usd_per_hour_here: float | None, measured: dict[str, float] | None = None) -> SizeCost:
    """Price one size; ``measured`` (latency_s, batch_s, train_s, memory_mb) replaces the calibrated figures."""
    m = measured or {}
    latency = m.get("latency_s", cal.predict("latency", p))
    batch = m.get("batch_s", cal.predict("batch", p))
    train = m.get("train_s", cal.predict("train", p))
    per_1k = 1000 * batch / p.serve_batch
    gpu_per_1k = 1000 * p.gpu["batch"] / p.serve_batch
    return SizeCost(
        knobs=p.knobs, params=p.params, forward_flops=p.forward_flops, train_flops=p.train_flops_per_sample * samples_seen,
        memory_mb=m.get("memory_mb", cal.predict("memory", p)), estimated_memory_mb=p.memory_mb,
        latency_ms=1e3 * latency, train_seconds=train, seconds_per_1k=per_1k,
        usd_per_1k_here=None if not usd_per_hour_here else usd_per_hour_here * per_1k / 3600,
        gpu_train_seconds=p.gpu["step"] * cal.steps, gpu_latency_ms=1e3 * p.gpu["latency"],
        gpu_usd_per_1k=usd_per_hour * gpu_per_1k / 3600, gpu_train_memory_mb=p.gpu_memory_mb, measured=bool(measured))


def steps_per_run(n_train: int, batch_size: int, epochs: int) -> int:
    return math.ceil(n_train / batch_size) * epochs
