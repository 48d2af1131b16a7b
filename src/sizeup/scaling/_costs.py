"""What each size costs: exact counts from the estimator, times extrapolated from the sizes measured here.

Memory, FLOPs and training compute come from :func:`sizeup.estimation.estimate_module` on the meta device,
so a size nobody trained is counted as exactly as one that was. Memory is calibrated on the measured sizes as
c_w·weights + c_a·activations (non-negative least squares): the estimator is exact for linear layers (c = 1),
while the profiler also sees buffers the meta device does not (a convolution's workspace). A CPU roofline is
far from the wall clock for models this small (a forward of a few thousand parameters is bound by per-call
overhead), so each time here (the fastest batch-1 call, a serving batch, a training run) is a power law of
parameters fitted to the measured sizes: Siegel's repeated medians on logs (Siegel 1982: per size the median
slope to the others, then the median of those, so one size measured at a busy moment cannot set the slope),
the exponent kept in [0, 1.5]. GPU figures are the
roofline on the chosen catalog device, a lower bound: a tiny model on a GPU is bound by kernel launches.
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
_EXPONENT = (0.0, 1.5)  # times never fall with size, and grow at most as params^1.5


@dataclass
class SizeProfile:
    """One size as the estimator sees it (no weights allocated)."""

    knobs: dict[str, Any]
    params: int
    forward_flops: float  # per sample
    train_flops_per_sample: float  # forward + backward
    memory_mb: float  # inference at batch 1: weights + peak activations
    weights_mb: float
    serve_batch: int  # the batch that prices predictions
    gpu: dict[str, float]  # roofline seconds on the chosen device: "latency" (batch 1), "batch", "step" (training)
    gpu_memory_mb: float  # training memory per device at the training batch


def profile_size(family: str, info: DataInfo, knobs: dict[str, Any], *, batch_size: int, hardware: str,
                 serve_batch: int = SERVE_BATCH) -> SizeProfile:
    """Estimate one size: inference memory at batch 1 here, training FLOPs, and on ``hardware`` the roofline of
    batch 1, of ``serve_batch`` and of a training step at ``batch_size``."""
    from sizeup.estimation import estimate_module
    from sizeup.estimation._zoo import meta_inputs
    from sizeup.zoo import build

    with torch.device("meta"):
        model = build(family, info, **knobs)

    def est(batch: int, mode: str, hw: str):
        return estimate_module(model, meta_inputs(info, batch), mode=mode, hardware=hw)

    one, step = est(1, "infer", "cpu"), est(batch_size, "train", hardware)
    g_one, g_many = est(1, "infer", hardware), est(serve_batch, "infer", hardware)
    return SizeProfile(
        knobs=dict(knobs), params=one.params, forward_flops=one.flops.forward, train_flops_per_sample=step.flops.train,
        memory_mb=one.memory.total / 2**20, weights_mb=one.memory.weights / 2**20, serve_batch=serve_batch,
        gpu={"latency": g_one.timing.step_s, "batch": g_many.timing.step_s, "step": step.timing.step_s},
        gpu_memory_mb=step.memory.total / 2**20)


def _power_of_params(params: np.ndarray, values: np.ndarray) -> list[float]:
    """(log c, k) of value = c·params^k: repeated medians on logs, k clipped to :data:`_EXPONENT`."""
    stats = optional_import("scipy.stats", extra="scaling", feature="the scaling fit")
    lx, ly = np.log(params), np.log(values)
    k = float(np.clip(stats.siegelslopes(ly, lx).slope, *_EXPONENT)) if len(set(params)) > 1 else 0.0
    return [float(np.median(ly - k * lx)), k]


def _weights_and_activations(profiles: Sequence[SizeProfile], memory: np.ndarray) -> list[float]:
    """(c_w, c_a) of memory = c_w·weights + c_a·activations, non-negative, least squares on relative errors."""
    optimize = optional_import("scipy.optimize", extra="scaling", feature="the scaling fit")
    x = np.array([[p.weights_mb, p.memory_mb - p.weights_mb] for p in profiles]) / memory[:, None]
    with one_blas_thread():
        return [float(c) for c in optimize.lsq_linear(x, np.ones(len(memory)), bounds=(0, np.inf), method="bvls").x]


@dataclass
class Calibration:
    """What the measured sizes say: a power law of parameters per time, memory's two coefficients, and how much
    slower the median batch-1 call is than the fastest on this machine now."""

    steps: float
    times: dict[str, list[float]] = field(default_factory=dict)
    memory: list[float] = field(default_factory=lambda: [1.0, 1.0])
    spread: float = 1.0

    def time(self, what: str, params: float) -> float:
        log_c, k = self.times[what]
        value = math.exp(log_c + k * math.log(params))
        return value * self.spread if what == "latency" else value

    def memory_mb(self, p: SizeProfile) -> float:
        return self.memory[0] * p.weights_mb + self.memory[1] * (p.memory_mb - p.weights_mb)


def calibrate(profiles: Sequence[SizeProfile], measured: Sequence[dict[str, float]], *, steps: float) -> Calibration:
    """Fit the measured sizes (per size: ``fastest_s``, the fastest batch-1 call; ``spread``, the median call over
    it; ``batch_s``, ``train_s``, ``memory_mb``). Latency is fitted to the fastest call, which hardly moves on a
    busy machine, and the typical median/fastest ratio is put back on top."""
    params = np.array([p.params for p in profiles], dtype=float)
    cal = Calibration(steps=steps, spread=float(np.median([m["spread"] for m in measured])))
    for what, key in (("latency", "fastest_s"), ("batch", "batch_s"), ("train", "train_s")):
        cal.times[what] = _power_of_params(params, np.array([m[key] for m in measured], dtype=float))
    cal.memory = _weights_and_activations(profiles, np.array([m["memory_mb"] for m in measured], dtype=float))
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
    latency = m.get("latency_s", cal.time("latency", p.params))
    batch = m.get("batch_s", cal.time("batch", p.params))
    train = m.get("train_s", cal.time("train", p.params))
    per_1k = 1000 * batch / p.serve_batch
    gpu_per_1k = 1000 * p.gpu["batch"] / p.serve_batch
    return SizeCost(
        knobs=p.knobs, params=p.params, forward_flops=p.forward_flops, train_flops=p.train_flops_per_sample * samples_seen,
        memory_mb=m.get("memory_mb", cal.memory_mb(p)), estimated_memory_mb=p.memory_mb,
        latency_ms=1e3 * latency, train_seconds=train, seconds_per_1k=per_1k,
        usd_per_1k_here=None if not usd_per_hour_here else usd_per_hour_here * per_1k / 3600,
        gpu_train_seconds=p.gpu["step"] * cal.steps, gpu_latency_ms=1e3 * p.gpu["latency"],
        gpu_usd_per_1k=usd_per_hour * gpu_per_1k / 3600, gpu_train_memory_mb=p.gpu_memory_mb, measured=bool(measured))


def steps_per_run(n_train: int, batch_size: int, epochs: int) -> int:
    return math.ceil(n_train / batch_size) * epochs
