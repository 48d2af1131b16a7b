"""Clocks: seconds per call on the device that runs it, peak tensor memory, and the conditions of a timing.

On the CPU a call is timed with the host clock. On a CUDA GPU kernels run asynchronously, so a host clock
would time the launch, not the work: each call is bracketed by CUDA events and the end event is waited for
(as ``torch.utils.benchmark`` and timm's ``benchmark.py`` do). On MPS the host clock runs after a
device synchronisation.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Iterator
from typing import Callable

import torch

from sizeup._device import synchronize

__all__ = ["time_call", "peak_memory_bytes", "fixed_threads", "load_average", "median_ms"]


def _cuda_clock(device: torch.device) -> Callable[[Callable[[], object]], float]:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    stream = torch.cuda.current_stream(device)

    def clock(fn: Callable[[], object]) -> float:
        start.record(stream)
        fn()
        end.record(stream)
        end.synchronize()
        return start.elapsed_time(end) / 1e3  # elapsed_time is in milliseconds

    return clock


def _host_clock(device: torch.device | None) -> Callable[[Callable[[], object]], float]:
    if device is None or device.type == "cpu":
        def clock(fn: Callable[[], object]) -> float:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0

        return clock

    def synced(fn: Callable[[], object]) -> float:
        t0 = time.perf_counter()
        fn()
        synchronize(device)
        return time.perf_counter() - t0

    return synced


def time_call(fn: Callable[[], object], *, warmup: int = 5, min_repeats: int = 20, budget_s: float = 1.0,
              device: torch.device | str | None = None) -> list[float]:
    """Seconds per call of ``fn``: warm up, then time calls one by one until the budget or the minimum.

    ``device``: where ``fn``'s work runs (``None``: the host, timed as it returns).
    """
    dev = torch.device(device) if device is not None else None
    clock = _cuda_clock(dev) if dev is not None and dev.type == "cuda" else _host_clock(dev)
    for _ in range(warmup):
        fn()
    if dev is not None:
        synchronize(dev)
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < min_repeats or (time.perf_counter() < deadline and len(times) < 1000):
        times.append(clock(fn))
    return times


def median_ms(times: list[float]) -> tuple[float, float, float]:
    """(median, min, max) of seconds, in milliseconds."""
    return 1e3 * statistics.median(times), 1e3 * min(times), 1e3 * max(times)


@contextlib.contextmanager
def fixed_threads(threads: int | None) -> Iterator[int]:
    """Run the block with torch's intra-op thread count set to ``threads`` (``None``: as it is), then restore it."""
    before = torch.get_num_threads()
    if threads is None or threads == before:
        yield before
        return
    torch.set_num_threads(threads)
    try:
        yield threads
    finally:
        torch.set_num_threads(before)


def load_average() -> list[float] | None:
    """``os.getloadavg()``: runnable processes averaged over 1, 5 and 15 minutes (``None`` where unavailable)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def peak_memory_bytes(fn: Callable[[], object], *, device: torch.device | str | None = None) -> int | None:
    """Peak bytes allocated by tensors while ``fn`` runs, beyond those alive before; ``None`` if unavailable.

    CUDA: ``torch.cuda.max_memory_allocated`` after resetting the peak for this call. CPU: the profiler's
    allocation events. MPS keeps no peak: ``None``.
    """
    dev = torch.device(device) if device is not None else torch.device("cpu")
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        base = torch.cuda.memory_allocated(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        fn()
        torch.cuda.synchronize(dev)
        return max(torch.cuda.max_memory_allocated(dev) - base, 0)
    if dev.type != "cpu":
        return None
    return _profiled_peak(fn)


def _profiled_peak(fn: Callable[[], object]) -> int | None:
    try:
        from torch._C._profiler import _EventType
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            fn()
        stack = list(prof.profiler.kineto_results.experimental_event_tree())
    except Exception:  # noqa: BLE001 - a private profiler API; the figure is optional, never fatal
        return None
    allocs: list[tuple[int, int]] = []
    while stack:
        event = stack.pop()
        stack.extend(event.children)
        if event.tag == _EventType.Allocation:
            allocs.append((event.start_time_ns, event.extra_fields.alloc_size))
    current = peak = 0
    for _, size in sorted(allocs):
        current += size
        peak = max(peak, current)
    return peak
