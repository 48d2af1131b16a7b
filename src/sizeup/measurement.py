"""Measure a model on this device, one way everywhere: params, FLOPs, latency, throughput, peak memory.

Latency is the median of many batch-1 calls after warm-up (min and max kept as the spread); FLOPs come
from ``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add counts 2); peak memory comes from the
profiler's allocation events, so it is what tensors really took, not the process size.
"""

from __future__ import annotations

import contextlib
import platform
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["Measurement", "measure", "count_params", "count_flops", "time_call", "peak_memory_bytes",
           "device_name", "weight_bytes", "mha_fastpath_off", "countable_attention", "measure_onnx"]


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


def count_params(model: nn.Module) -> int:
    """Parameters, each shared (tied) tensor counted once; a classic model states its own (``n_parameters``)."""
    own = getattr(model, "n_parameters", None)
    return int(own) if own is not None else sum(p.numel() for p in model.parameters())


def weight_bytes(model: nn.Module) -> int:
    """Bytes of the weights: parameters and buffers, or a classic model's ONNX graph."""
    graph = getattr(model, "onnx_bytes", None)
    if graph is not None:
        return len(graph())
    tensors = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    return sum(t.numel() * t.element_size() for t in tensors.values())


def count_flops(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> int:
    """Forward FLOPs of ``model(*inputs)`` as counted by PyTorch's ``FlopCounterMode``.

    Attention is counted in full (QKᵀ and AV): see :func:`countable_attention`. A classic model states its own
    per-sample count (``flops_per_sample``: multiply-adds of a linear model, comparisons down its trees).
    """
    own = getattr(model, "flops_per_sample", None)
    if own is not None:
        return int(own) * len(inputs[0])
    with countable_attention(), torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*inputs)
    return int(counter.get_total_flops())


@contextlib.contextmanager
def mha_fastpath_off() -> Iterator[None]:
    """Switch off the fused Transformer inference fast path, whose matmuls ``FlopCounterMode`` cannot see."""
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


@contextlib.contextmanager
def countable_attention() -> Iterator[None]:
    """Run attention on kernels whose matmuls ``FlopCounterMode`` sees, so FLOPs include QKᵀ and AV.

    The fused MHA fast path and the CPU flash-attention kernel of ``scaled_dot_product_attention`` have no
    FLOP formula, so a CPU count would miss the attention; the math kernel does the same arithmetic visibly.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with mha_fastpath_off(), sdpa_kernel(SDPBackend.MATH):
        yield


def device_name() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"cpu: {cpu} ({torch.get_num_threads()} threads)"


def time_call(fn: Callable[[], object], *, warmup: int = 5, min_repeats: int = 20, budget_s: float = 1.0) -> list[float]:
    """Seconds per call of ``fn``: warm up, then time calls one by one until the budget or the minimum."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < min_repeats or (time.perf_counter() < deadline and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def peak_memory_bytes(fn: Callable[[], object]) -> int | None:
    """Peak bytes allocated by tensors while ``fn`` runs (profiler allocation events); ``None`` if unavailable."""
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


def measure(model: nn.Module, batch: tuple[torch.Tensor, ...], *, throughput_batch: int = 256,
            latency_budget_s: float = 1.0) -> Measurement:
    """Measure ``model`` in eval mode; ``batch`` holds real inputs (first dimension = samples)."""
    was_training = model.training
    model.eval()
    notes: list[str] = []
    one = tuple(t[:1] for t in batch)
    try:
        with torch.inference_mode():
            flops = count_flops(model, one)
            lat = time_call(lambda: model(*one), budget_s=latency_budget_s)
            peak = peak_memory_bytes(lambda: model(*one))
            bs = min(throughput_batch, len(batch[0]))
            while True:
                many = tuple(t[:bs] for t in batch)
                try:
                    thr = time_call(lambda: model(*many), warmup=2, min_repeats=5, budget_s=latency_budget_s)
                    break
                except (RuntimeError, MemoryError) as exc:  # out of memory: back off and say so
                    if bs == 1 or "memory" not in str(exc).lower():
                        raise
                    notes.append(f"throughput batch {bs} ran out of memory; retried with {bs // 2}")
                    bs //= 2
    finally:
        model.train(was_training)
    wbytes = weight_bytes(model)
    if peak is None:
        notes.append("peak activation memory not measurable here; memory_mb counts weights only")
    return Measurement(
        params=count_params(model), flops=flops,
        latency_ms=1e3 * statistics.median(lat), latency_min_ms=1e3 * min(lat), latency_max_ms=1e3 * max(lat),
        throughput=bs / statistics.median(thr), throughput_batch=bs,
        memory_mb=(wbytes + (peak or 0)) / 2**20, weights_mb=wbytes / 2**20, device=device_name(), notes=notes,
    )


def measure_onnx(session, batch: tuple[torch.Tensor, ...], *, params: int, weights_bytes: int, flops: int = 0,
                 throughput_batch: int = 256, latency_budget_s: float = 1.0) -> Measurement:
    """Measure an onnxruntime ``InferenceSession`` the way :func:`measure` measures a torch model (same timer,
    warm-up, median, spread). Build the session with ``intra_op_num_threads = torch.get_num_threads()`` so
    both runtimes get the same cores. The torch profiler cannot see onnxruntime's buffers: memory is weights only."""
    names = [i.name for i in session.get_inputs()]

    def feed(n: int) -> dict[str, object]:
        return {name: t[:n].numpy() for name, t in zip(names, batch)}

    one, bs = feed(1), min(throughput_batch, len(batch[0]))
    lat = time_call(lambda: session.run(None, one), budget_s=latency_budget_s)
    many = feed(bs)
    thr = time_call(lambda: session.run(None, many), warmup=2, min_repeats=5, budget_s=latency_budget_s)
    threads = session.get_session_options().intra_op_num_threads
    notes = [f"onnxruntime CPU session, intra_op_num_threads={threads}",
             "peak activation memory of an onnxruntime session is not measurable here; memory_mb counts weights only"]
    return Measurement(
        params=params, flops=flops,
        latency_ms=1e3 * statistics.median(lat), latency_min_ms=1e3 * min(lat), latency_max_ms=1e3 * max(lat),
        throughput=bs / statistics.median(thr), throughput_batch=bs, memory_mb=weights_bytes / 2**20,
        weights_mb=weights_bytes / 2**20, device=device_name(), notes=notes,
    )
