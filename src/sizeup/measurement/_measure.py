"""``measure``: params, FLOPs, batch-1 latency, throughput and peak memory of a model on one device.

Latency is the median of many batch-1 calls after warm-up (min and max kept as the spread), timed with a
fixed, stated number of CPU threads (:data:`LATENCY_THREADS`) and the load average beside it. Batch-1
inference is too small to split across threads with profit, and an OpenMP team whose threads share cores
with another process waits for the slowest one, so a multi-threaded batch-1 figure flips when a neighbour
starts working (docs/measurement.md has the figures). Throughput uses every thread torch has, at the
largest batch that fits, backing off on out-of-memory and saying so.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from sizeup._device import device_name, module_device, resolve_device, tf32_matmuls
from sizeup.measurement._counting import count_flops, count_params, weight_bytes
from sizeup.measurement._timing import fixed_threads, load_average, median_ms, peak_memory_bytes, time_call

__all__ = ["Measurement", "measure", "measure_onnx", "remeasure", "probe_latency_ms", "LATENCY_THREADS",
           "THROUGHPUT_BATCH"]

LATENCY_THREADS = 1
# samples per throughput call: on the CPU capped by the samples given; an accelerator tiles them up to this
THROUGHPUT_BATCH = {"cpu": 256, "cuda": 4096, "mps": 1024}


@dataclass
class Measurement:
    params: int
    flops: int
    latency_ms: float
    latency_min_ms: float
    latency_max_ms: float
    throughput: float
    throughput_batch: int
    memory_mb: float
    weights_mb: float
    device: str
    notes: list[str] = field(default_factory=list)
    device_id: str = "cpu"  # the torch device, e.g. "cuda:0": where to re-measure
    latency_threads: int | None = None  # torch's intra-op threads while batch-1 latency was timed
    load_average: list[float] | None = None  # os.getloadavg() (1, 5, 15 min) as latency was timed
    latency_attempts: list[float] = field(default_factory=list)  # the median of each latency timing, in ms


@contextmanager
def _placed(model: nn.Module, device: torch.device) -> Iterator[None]:
    """``model`` in eval mode on ``device`` for the block; its mode and device come back afterwards."""
    was_training, home = model.training, module_device(model)
    model.eval()
    moved = home != device
    if moved:
        model.to(device)
    try:
        yield
    finally:
        if moved:
            model.to(home)
        model.train(was_training)


def _latency(model: nn.Module, one: tuple[torch.Tensor, ...], device: torch.device, threads: int | None,
             budget_s: float) -> tuple[list[float], list[float] | None, int]:
    """Seconds per batch-1 call at ``threads`` threads, the load average as timing began, the threads used."""
    with fixed_threads(threads) as used:
        load = load_average()
        times = time_call(lambda: model(*one), budget_s=budget_s, device=device)
    return times, load, used


def _tile(inputs: tuple[torch.Tensor, ...], n: int) -> tuple[torch.Tensor, ...]:
    reps = -(-n // len(inputs[0]))
    return tuple((t.repeat(reps, *([1] * (t.ndim - 1))) if reps > 1 else t)[:n] for t in inputs)


def _out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, (torch.OutOfMemoryError, MemoryError)) or "out of memory" in str(exc).lower()


def _throughput(model: nn.Module, inputs: tuple[torch.Tensor, ...], device: torch.device, batch: int | None,
                budget_s: float, notes: list[str]) -> tuple[float, int]:
    """Samples per second at ``batch`` (or the device's default), halving the batch on out-of-memory."""
    bs = batch or THROUGHPUT_BATCH.get(device.type, 256)
    if device.type == "cpu":
        bs = min(bs, len(inputs[0]))
    while True:
        try:
            many = _tile(inputs, bs)
            times = time_call(lambda: model(*many), warmup=2, min_repeats=5, budget_s=budget_s, device=device)
            return bs / statistics.median(times), bs
        except (RuntimeError, MemoryError) as exc:
            if bs == 1 or not _out_of_memory(exc):
                raise
        many = None
        if device.type == "cuda":
            torch.cuda.empty_cache()
        notes.append(f"throughput batch {bs} ran out of memory on {device}; retried with {bs // 2}")
        bs //= 2


def measure(model: nn.Module, batch: tuple[torch.Tensor, ...], *, throughput_batch: int | None = None,
            latency_budget_s: float = 1.0, device: Any = None, latency_threads: int | None = LATENCY_THREADS) -> Measurement:
    """Measure ``model`` in eval mode on ``device`` (default: where its parameters are); ``batch`` holds real
    inputs (first dimension = samples). ``latency_threads=None`` times batch-1 latency with torch's threads."""
    dev = module_device(model) if device is None else resolve_device(device)
    notes: list[str] = []
    with _placed(model, dev), torch.inference_mode(), tf32_matmuls(dev):
        inputs = tuple(t.to(dev) for t in batch)
        one = tuple(t[:1] for t in inputs)
        flops = count_flops(model, one)
        lat, load, threads = _latency(model, one, dev, latency_threads, latency_budget_s)
        peak = peak_memory_bytes(lambda: model(*one), device=dev)
        thr, bs = _throughput(model, inputs, dev, throughput_batch, latency_budget_s, notes)
    wbytes = weight_bytes(model)
    if peak is None:
        notes.append("peak activation memory not measurable here; memory_mb counts weights only")
    med, lo, hi = median_ms(lat)
    return Measurement(
        params=count_params(model), flops=flops, latency_ms=med, latency_min_ms=lo, latency_max_ms=hi,
        throughput=thr, throughput_batch=bs, memory_mb=(wbytes + (peak or 0)) / 2**20, weights_mb=wbytes / 2**20,
        device=device_name(dev), notes=notes, device_id=str(dev), latency_threads=threads, load_average=load,
        latency_attempts=[med],
    )


def remeasure(model: nn.Module, batch: tuple[torch.Tensor, ...], first: Measurement, *, limit_ms: float,
              attempts: int = 2, latency_budget_s: float = 1.0) -> Measurement:
    """Before a candidate is rejected on latency: time batch-1 latency again, up to ``attempts`` more times
    (stopping once one meets ``limit_ms``), on the device and at the thread count of ``first``.

    Another process can only add time to a call, never remove it, so the lowest of independent medians is
    the closest to the model's own latency; that one is kept, with every median in ``latency_attempts``.
    A figure within the limit is returned as it is.
    """
    if first.latency_ms <= limit_ms or attempts < 1:
        return first
    dev = torch.device(first.device_id)
    best, tries = first, list(first.latency_attempts or [first.latency_ms])
    with _placed(model, dev), torch.inference_mode(), tf32_matmuls(dev):
        one = tuple(t[:1].to(dev) for t in batch)
        for _ in range(attempts):
            lat, load, threads = _latency(model, one, dev, first.latency_threads, latency_budget_s)
            med, lo, hi = median_ms(lat)
            tries.append(med)
            if med < best.latency_ms:
                best = dataclasses.replace(best, latency_ms=med, latency_min_ms=lo, latency_max_ms=hi, load_average=load)
            if med <= limit_ms:
                break
    note = (f"batch-1 latency over {limit_ms:g} ms at first; re-measured {len(tries) - 1} time(s): medians "
            f"{', '.join(f'{t:.3g}' for t in tries)} ms; kept the lowest")
    return dataclasses.replace(best, latency_attempts=tries, notes=[*first.notes, note])


def probe_latency_ms(model: nn.Module, one: tuple[torch.Tensor, ...], *, device: Any = None,
                     threads: int | None = LATENCY_THREADS, budget_s: float = 0.2) -> float:
    """A quick batch-1 probe before training: the fastest of a few calls, at the threads ``measure`` uses.

    The fastest, not the median: a candidate is rejected untrained only when even its best case breaks a limit.
    """
    dev = module_device(model) if device is None else resolve_device(device)
    with _placed(model, dev), torch.inference_mode(), tf32_matmuls(dev), fixed_threads(threads):
        inputs = tuple(t[:1].to(dev) for t in one)
        times = time_call(lambda: model(*inputs), warmup=3, min_repeats=10, budget_s=budget_s, device=dev)
    return 1e3 * min(times)


def measure_onnx(session_for: Callable[[int], Any], batch: tuple[torch.Tensor, ...], *, params: int,
                 weights_bytes: int, flops: int = 0, throughput_batch: int = 256, latency_budget_s: float = 1.0,
                 latency_threads: int | None = LATENCY_THREADS) -> Measurement:
    """Measure an ONNX model in onnxruntime the way :func:`measure` measures a torch model (same timer,
    warm-up, median, spread, thread counts). ``session_for(threads)`` builds a CPU ``InferenceSession`` with
    that many intra-op threads: batch-1 latency gets ``latency_threads``, throughput torch's thread count.
    The torch profiler cannot see onnxruntime's buffers: memory is weights only."""
    latency_session = session_for(latency_threads or torch.get_num_threads())
    names = [i.name for i in latency_session.get_inputs()]

    def feed(n: int) -> dict[str, object]:
        return {name: t[:n].numpy() for name, t in zip(names, batch)}

    one, bs = feed(1), min(throughput_batch, len(batch[0]))
    load = load_average()
    lat = time_call(lambda: latency_session.run(None, one), budget_s=latency_budget_s)
    threads = torch.get_num_threads()
    session = latency_session if latency_threads in (None, threads) else session_for(threads)
    many = feed(bs)
    thr = time_call(lambda: session.run(None, many), warmup=2, min_repeats=5, budget_s=latency_budget_s)
    used = latency_session.get_session_options().intra_op_num_threads
    notes = [f"onnxruntime CPU session: batch-1 latency at intra_op_num_threads={used}, throughput at {threads}",
             "peak activation memory of an onnxruntime session is not measurable here; memory_mb counts weights only"]
    med, lo, hi = median_ms(lat)
    return Measurement(
        params=params, flops=flops, latency_ms=med, latency_min_ms=lo, latency_max_ms=hi,
        throughput=bs / statistics.median(thr), throughput_batch=bs, memory_mb=weights_bytes / 2**20,
        weights_mb=weights_bytes / 2**20, device=device_name("cpu"), notes=notes, device_id="cpu",
        latency_threads=used, load_average=load, latency_attempts=[med],
    )
