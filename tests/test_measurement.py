"""Measurement: FLOPs agree with PyTorch's counter, latency is a median inside its spread, memory is real."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from sizeup.data.bundle import DataInfo
from sizeup.measurement import count_flops, count_params, measure, peak_memory_bytes, time_call, weight_bytes
from sizeup.zoo import build

SIGNAL = DataInfo("sig", "signal", "classification", (1, 40), 10, "accuracy")
TOKENS = DataInfo("tok", "tokens", "classification", (20,), 3, "accuracy", vocab=[f"w{i}" for i in range(50)])


pytestmark = pytest.mark.usefixtures("one_thread")


def _reference_flops(model, *inputs) -> int:
    """A real forward under FlopCounterMode with the fused fast path off and SDPA on its math kernel
    (the fused kernels hide their matmuls from the counter)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
            model(*inputs)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return counter.get_total_flops()


def _cpu_model() -> str:
    """The CPU's name as /proc/cpuinfo gives it (or what platform knows)."""
    import platform

    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
    except OSError:
        names = []
    return names[0] if names else (platform.processor() or platform.machine())


def test_count_flops_of_a_cnn_equals_flop_counter_mode():
    torch.manual_seed(0)
    model = build("cnn", SIGNAL).eval()
    x = torch.randn(1, 1, 40)
    assert count_flops(model, (x,)) == _reference_flops(model, x) > 0


def test_count_flops_of_a_transformer_equals_flop_counter_mode_and_is_positive():
    torch.manual_seed(0)
    model = build("transformer", TOKENS, preset="tiny").eval()
    x = torch.randint(1, 50, (1, 20))
    flops = count_flops(model, (x,))
    assert flops == _reference_flops(model, x)
    # the four projections and two feed-forward matmuls per token, plus QK^T and AV over 20 positions
    assert flops >= 2 * 20 * (4 * 32 * 32 + 2 * 32 * 128) + 2 * 2 * 20 * 20 * 32


def test_count_flops_sees_the_transformer_under_inference_mode_and_restores_the_fast_path():
    torch.manual_seed(0)
    model = build("transformer", TOKENS, preset="tiny").eval()
    x = torch.randint(1, 50, (1, 20))
    assert torch.backends.mha.get_fastpath_enabled()
    with torch.inference_mode():
        assert count_flops(model, (x,)) == _reference_flops(model, x) > 0
    assert torch.backends.mha.get_fastpath_enabled()


def test_count_flops_of_a_linear_model_is_two_per_multiply_add():
    model = build("linear", DataInfo("tab", "tabular", "classification", (12,), 3, "accuracy"))
    assert count_flops(model, (torch.randn(1, 12),)) == 2 * 12 * 3


def test_time_call_warms_up_and_repeats_at_least_the_minimum():
    calls = []
    times = time_call(lambda: calls.append(1), warmup=3, min_repeats=7, budget_s=0.0)
    assert len(times) == 7 and len(calls) == 10
    assert all(t >= 0 for t in times)


def test_peak_memory_of_a_known_allocation_is_within_ten_percent():
    peak = peak_memory_bytes(lambda: torch.empty(1_000_000))  # 4 MB of float32
    assert peak is not None
    assert abs(peak - 4_000_000) <= 0.1 * 4_000_000


def test_peak_memory_counts_tensors_alive_together_not_the_sum_of_all():
    def fn():
        a = torch.empty(1_000_000)  # 4 MB
        b = torch.empty(500_000)  # 2 MB while a lives: 6 MB peak
        del a
        c = torch.empty(250_000)  # 3 MB alive
        return b, c

    peak = peak_memory_bytes(fn)
    assert peak is not None and abs(peak - 6_000_000) <= 0.1 * 6_000_000


def test_measure_reports_a_median_between_min_and_max_and_positive_throughput():
    torch.manual_seed(0)
    model = build("cnn", SIGNAL, preset="tiny")
    model.train()
    batch = (torch.randn(64, 1, 40),)
    m = measure(model, batch, throughput_batch=32, latency_budget_s=0.05)
    assert model.training  # measure puts the mode back
    assert m.latency_min_ms <= m.latency_ms <= m.latency_max_ms and m.latency_min_ms > 0
    assert m.throughput > 0 and m.throughput_batch == 32
    assert m.params == count_params(model)
    assert m.flops == count_flops(model.eval(), (batch[0][:1],))
    assert m.weights_mb == pytest.approx(weight_bytes(model) / 2**20)
    assert m.memory_mb >= m.weights_mb > 0
    # the device is named as it is: this CPU's model and the threads the measurement ran on (one, here)
    assert m.device == f"cpu: {_cpu_model()} (1 thread)" and torch.get_num_threads() == 1


def test_measure_throughput_batch_is_capped_by_the_samples_given():
    torch.manual_seed(0)
    model = build("mlp", SIGNAL, preset="tiny")
    m = measure(model, (torch.randn(10, 1, 40),), throughput_batch=256, latency_budget_s=0.02)
    assert m.throughput_batch == 10 and m.throughput > 0


def test_measure_handles_a_two_input_seq2seq_model():
    from sizeup.data.text import BOS, EOS, PAD, UNK

    target = [PAD, UNK, BOS, EOS, "a", "b", "c"]
    info = DataInfo("s2s", "seq2seq", "seq2seq", (8,), len(target), "sequence_accuracy",
                    vocab=[PAD, UNK, "x", "y", "z"], target_vocab=target)
    torch.manual_seed(0)
    model = build("seq2seq", info, preset="tiny")
    src = torch.randint(2, 5, (4, 8))
    tgt = torch.randint(4, 7, (4, 6))
    tgt[:, 0] = 2
    m = measure(model, (src, tgt), throughput_batch=4, latency_budget_s=0.02)
    assert m.flops > 0 and m.latency_ms > 0 and m.throughput > 0
