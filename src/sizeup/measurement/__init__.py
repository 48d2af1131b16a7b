"""Measure a model on a device, one way everywhere: params, FLOPs, latency, throughput, peak memory.

Latency is the median of many batch-1 calls after warm-up, at a fixed, stated thread count, synchronised
with the device (CUDA events on a GPU); FLOPs come from ``torch.utils.flop_counter.FlopCounterMode``
(a multiply-add counts 2); peak memory is what tensors really took (``torch.cuda.max_memory_allocated``
on a GPU, the profiler's allocation events on a CPU), not the process size.
"""

from __future__ import annotations

from sizeup._device import (DeviceInfo, available_devices, default_workers, describe_device, device_name,
                            module_device, resolve_device, worker_device)
from sizeup.measurement._counting import count_flops, count_params, countable_attention, mha_fastpath_off, weight_bytes
from sizeup.measurement._measure import (LATENCY_THREADS, THROUGHPUT_BATCH, Measurement, measure, measure_onnx,
                                         probe_latency_ms, remeasure)
from sizeup.measurement._timing import fixed_threads, load_average, peak_memory_bytes, time_call

__all__ = ["Measurement", "measure", "remeasure", "probe_latency_ms", "count_params", "count_flops", "time_call",
           "peak_memory_bytes", "device_name", "describe_device", "resolve_device", "DeviceInfo", "available_devices",
           "worker_device", "default_workers", "module_device", "weight_bytes", "mha_fastpath_off", "countable_attention",
           "measure_onnx", "fixed_threads", "load_average", "LATENCY_THREADS", "THROUGHPUT_BATCH"]
