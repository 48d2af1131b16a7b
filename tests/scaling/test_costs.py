"""Pricing sizes nobody trained: memory calibrated on the estimator's parts, times as robust power laws."""

from __future__ import annotations

import pytest

from sizeup.scaling._costs import SizeProfile, calibrate, price


def profile(params: int, weights_mb: float, activations_mb: float) -> SizeProfile:
    return SizeProfile(knobs={"width": params}, params=params, forward_flops=2.0 * params,
                       train_flops_per_sample=6.0 * params, memory_mb=weights_mb + activations_mb,
                       weights_mb=weights_mb, serve_batch=256, gpu={"latency": 1e-6, "batch": 1e-5, "step": 1e-4},
                       gpu_memory_mb=1024.0)


SIZES = [1_000, 2_000, 4_000, 8_000]


def sized(n: int) -> SizeProfile:
    """Weights grow as N, activations as √N (a wider layer), as in a width ladder."""
    return profile(n, 4e-6 * n, 1e-4 * n**0.5)


def measured(params: int, *, slow: float = 1.0) -> dict[str, float]:
    """A machine where the fastest call is 50 µs·(N/1000)^0.2, the median 1.1× that, and memory is the weights
    plus 3× the activations the estimator sees."""
    fastest = 50e-6 * (params / 1000) ** 0.2
    return {"fastest_s": fastest * slow, "spread": 1.1, "latency_s": 1.1 * fastest * slow,
            "batch_s": 1e-3 * params / 1000, "train_s": 10.0, "memory_mb": 4e-6 * params + 3 * 1e-4 * params**0.5}


def test_memory_calibration_recovers_what_the_estimator_misses():
    profiles = [sized(n) for n in SIZES]
    cal = calibrate(profiles, [measured(n) for n in SIZES], steps=100)
    assert cal.memory == pytest.approx([1.0, 3.0], rel=1e-6)
    big = price(sized(64_000), cal, samples_seen=1e5, usd_per_hour=2.0, usd_per_hour_here=None)
    assert big.memory_mb == pytest.approx(0.256 + 3 * 0.0253, rel=1e-3)
    assert big.estimated_memory_mb == pytest.approx(0.256 + 0.0253, rel=1e-3)


def test_latency_extrapolates_the_fastest_call_and_one_slow_size_cannot_set_the_slope():
    profiles = [sized(n) for n in SIZES]
    runs = [measured(n, slow=3.0 if n == 8_000 else 1.0) for n in SIZES]  # a busy moment at the largest size
    cal = calibrate(profiles, runs, steps=100)
    assert cal.times["latency"][1] == pytest.approx(0.2, abs=0.01)
    big = price(sized(64_000), cal, samples_seen=1e5, usd_per_hour=2.0, usd_per_hour_here=3.6)
    assert big.latency_ms == pytest.approx(1e3 * 1.1 * 50e-6 * 64 ** 0.2, rel=0.02) and not big.measured
    assert big.seconds_per_1k == pytest.approx(1000 * 64e-3 / 256, rel=0.02)  # the batch time grows as N^1
    assert big.usd_per_1k_here == pytest.approx(3.6 * big.seconds_per_1k / 3600)
    assert big.gpu_train_seconds == pytest.approx(1e-4 * 100) and big.train_flops == pytest.approx(6 * 64_000 * 1e5)


def test_a_measured_size_keeps_its_measured_figures():
    profiles = [sized(n) for n in SIZES]
    runs = [measured(n) for n in SIZES]
    cal = calibrate(profiles, runs, steps=100)
    cost = price(profiles[1], cal, samples_seen=1e5, usd_per_hour=2.0, usd_per_hour_here=None, measured=runs[1])
    assert cost.measured and cost.latency_ms == pytest.approx(1e3 * runs[1]["latency_s"])
    assert cost.memory_mb == runs[1]["memory_mb"] and cost.usd_per_1k_here is None
