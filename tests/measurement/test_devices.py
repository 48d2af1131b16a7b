"""Devices: one function resolves and describes them, measurement runs on each one present, and batch-1
latency is timed at a fixed, stated thread count that a busy neighbour cannot flip.

Device-dependent tests are parametrised over the devices present (``cpu`` always; ``cuda``, ``mps`` where
they are) and skip cleanly on the rest.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError
from sizeup.measurement import (LATENCY_THREADS, available_devices, default_workers, describe_device, measure,
                                module_device, remeasure, resolve_device, time_call, worker_device)
from sizeup.zoo import build

SIGNAL = DataInfo("sig", "signal", "classification", (1, 40), 10, "accuracy")
PRESENT = available_devices()
ALL = ["cpu", "cuda", "mps"]


def _present(kind: str) -> None:
    if kind not in PRESENT:
        pytest.skip(f"no {kind} device on this machine")


@pytest.fixture(scope="module")
def cnn() -> nn.Module:
    torch.manual_seed(0)
    return build("cnn", SIGNAL, preset="tiny")


def test_auto_picks_the_best_device_present():
    best = "cuda" if "cuda" in PRESENT else "mps" if "mps" in PRESENT else "cpu"
    assert resolve_device("auto").type == best == resolve_device(None).type
    assert resolve_device("CPU") == torch.device("cpu")


def test_a_misspelt_device_names_the_choices():
    with pytest.raises(SizeupError, match="'tpu' is not a device; use auto, cpu, cuda, cuda:N or mps"):
        resolve_device("tpu")


def test_an_absent_gpu_is_one_line_saying_what_is_there():
    if "cuda" in PRESENT:
        n = torch.cuda.device_count()
        with pytest.raises(SizeupError, match=f"has {n} visible GPU"):
            resolve_device(f"cuda:{n}")
    else:
        with pytest.raises(SizeupError, match="no CUDA GPU is visible here") as err:
            resolve_device("cuda:1", what="--device")
        assert "\n" not in str(err.value) and "--device cpu or auto" in str(err.value)


@pytest.mark.parametrize("kind", ALL)
def test_describe_device_names_the_hardware(kind):
    _present(kind)
    info = describe_device(kind)
    text = str(info)
    assert text.startswith(kind) and info.name and info.threads == torch.get_num_threads()
    if kind == "cpu":
        assert f"({info.threads} thread" in text
    if kind == "cuda":  # GPU model, memory, compute capability and CUDA version
        assert info.memory_bytes > 0 and "GiB" in text and f"CUDA {torch.version.cuda}" in text


def test_search_workers_take_one_gpu_each():
    if "cuda" in PRESENT:
        n = torch.cuda.device_count()
        assert default_workers("cuda") == n == default_workers("auto")
        assert sorted(worker_device(i, "cuda") for i in range(n)) == [f"cuda:{i}" for i in range(n)]
        assert worker_device(5, "cuda:0") == "cuda:0"  # a numbered GPU is every worker's
    else:
        assert default_workers("auto") == 1 and worker_device(3, "auto") == "cpu"
    assert default_workers("cpu") == 1 and worker_device(1, "cpu") == "cpu"


def test_batch1_latency_is_timed_at_the_stated_threads_and_the_load_is_recorded(cnn):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        m = measure(cnn, (torch.randn(32, 1, 40),), throughput_batch=8, latency_budget_s=0.02)
        assert torch.get_num_threads() == 2  # measure puts torch's thread count back
    finally:
        torch.set_num_threads(before)
    assert m.latency_threads == LATENCY_THREADS == 1
    assert m.load_average is not None and len(m.load_average) == 3 and all(x >= 0 for x in m.load_average)
    assert m.device_id == "cpu" and m.latency_attempts == [m.latency_ms]


def test_latency_threads_none_times_with_torchs_own_count(cnn):
    m = measure(cnn, (torch.randn(8, 1, 40),), throughput_batch=4, latency_budget_s=0.02, latency_threads=None)
    assert m.latency_threads == torch.get_num_threads()


@pytest.mark.parametrize("kind", ALL)
def test_measure_runs_on_each_device_and_leaves_the_model_where_it_was(cnn, kind):
    _present(kind)
    m = measure(cnn, (torch.randn(16, 1, 40),), throughput_batch=8, latency_budget_s=0.02, device=kind)
    assert m.device.startswith(kind) and m.device_id.startswith(kind)
    assert m.latency_min_ms <= m.latency_ms <= m.latency_max_ms and m.throughput > 0
    assert module_device(cnn).type == "cpu" and cnn.training  # back where it was, in the mode it was in
    if kind != "cpu":  # an accelerator tiles the samples given up to its throughput batch
        assert m.throughput_batch == 8


def test_remeasure_recovers_a_latency_a_busy_moment_inflated(cnn):
    """A figure taken while a neighbour ran is over the limit; timing again keeps the lowest median, so the
    candidate is judged on its own latency and the note keeps every attempt."""
    batch = (torch.randn(8, 1, 40),)
    true = measure(cnn, batch, throughput_batch=4, latency_budget_s=0.02)
    inflated = dataclasses.replace(true, latency_ms=true.latency_ms * 200, latency_attempts=[true.latency_ms * 200])
    limit = true.latency_ms * 20
    again = remeasure(cnn, batch, inflated, limit_ms=limit, latency_budget_s=0.02)
    assert again.latency_ms <= limit and again.latency_ms == min(again.latency_attempts)
    assert len(again.latency_attempts) == 2  # it stopped at the first attempt within the limit
    assert "re-measured 1 time(s)" in again.notes[-1] and again.latency_threads == true.latency_threads
    assert remeasure(cnn, batch, true, limit_ms=true.latency_ms * 2) is true  # within the limit: untouched


class _FitsSixteen(nn.Module):
    """Runs out of memory above 16 samples, as a model on a small accelerator does."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(40, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] > 16:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.lin(x.flatten(1))


def test_throughput_backs_off_on_out_of_memory_and_says_so():
    m = measure(_FitsSixteen(), (torch.randn(64, 1, 40),), throughput_batch=64, latency_budget_s=0.02)
    assert m.throughput_batch == 16 and m.throughput > 0
    assert [n for n in m.notes if "ran out of memory" in n] == [
        "throughput batch 64 ran out of memory on cpu; retried with 32",
        "throughput batch 32 ran out of memory on cpu; retried with 16"]


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_time_call_on_an_accelerator_times_the_work_not_the_launch(kind):
    _present(kind)
    a = torch.randn(2048, 2048, device=kind)
    synced = min(time_call(lambda: a @ a @ a, warmup=2, min_repeats=5, budget_s=0.0, device=kind))
    flops = 2 * 2 * 2048**3
    assert flops / synced < 2e15  # no device does 2 PFLOP/s in fp32: an unsynchronised clock would claim it
