"""sizeup's predictions against published measurements (table and sources: docs/estimate-accuracy.md)."""

from __future__ import annotations

import pytest

from sizeup.estimation import estimate

GiB = 2**30
PUBLISHED = [
    # (what, estimate kwargs, how to read the prediction, published value, tolerance, source)
    ("Llama-3.1-8B bf16 weights on H100 under vLLM (GiB)",
     dict(model="llama-3.1-8b", hardware="h100", dtype="bf16"), lambda r: r.memory.weights / GiB, 14.99, 0.10,
     "issue 4 (vLLM weight-loading log)"),
    ("Llama-3.3-70B FP8 weights per GPU at TP=2 on H100 (GiB)",
     dict(model="llama-3.3-70b", hardware="h100", dtype="fp8", gpus=2, tp=2, seq=131072),
     lambda r: r.memory.weights / GiB, 33.88, 0.10, "issue 4 (vLLM at TP=2)"),
    ("Llama-2-7B Megatron bf16 DP8×PP2 MBS2 peak on rank 0 (GB)",
     dict(model="llama-2-7b", hardware="a100-80gb", mode="train", dtype="bf16", seq=4096, batch=2048, gpus=16, pp=2,
          micro_batch=2, zero=1, grad_dtype="fp32"), lambda r: r.memory.total / 1e9, 69.1, 0.10,
     "NVIDIA/Megatron-LM PR #482 review table (Peak_Memory_Actual rank 0)"),
    ("Llama-3.1-8B bf16 batch-1 decode on A100-40GB (tok/s)",
     dict(model="llama-3.1-8b", hardware="a100-40gb", dtype="bf16", batch=1, seq=1024),
     lambda r: r.timing.decode_tokens_per_s, 75.0, 0.30, "issue 4 (~75 tok/s)"),
]


@pytest.mark.parametrize("what,kwargs,read,published,tol,source", PUBLISHED, ids=[p[0] for p in PUBLISHED])
def test_prediction_within_tolerance_of_published(what, kwargs, read, published, tol, source) -> None:
    kwargs = dict(kwargs)
    predicted = read(estimate(kwargs.pop("model"), **kwargs))
    assert abs(predicted / published - 1) <= tol, f"{what}: predicted {predicted:.2f}, published {published} ({source})"


def test_llama_33_70b_fp8_fails_on_one_h100_and_fits_on_two() -> None:
    one = estimate("llama-3.3-70b", hardware="h100", dtype="fp8", seq=131072)
    two = estimate("llama-3.3-70b", hardware="h100", dtype="fp8", seq=131072, gpus=2, tp=2)
    assert not one.fits and two.fits


def test_gqa_shrinks_kv_cache_by_the_group_factor() -> None:
    r = estimate("llama-3.1-8b", hardware="h100", batch=1, seq=8192)
    assert r.memory.kv_cache == 2 * 32 * 8192 * 8 * 128 * 2  # 8 KV heads, not 32


def test_sliding_window_caps_the_kv_cache() -> None:
    short = estimate("mistral-7b", seq=4096).memory.kv_cache
    assert estimate("mistral-7b", seq=32768).memory.kv_cache == short


def test_training_memory_parts_have_their_byte_counts_and_zero_shards_them() -> None:
    """bf16 weights and gradients take 2 bytes a parameter and Adam 12 (fp32 master copy + m + v; ZeRO paper, K=12);
    ZeRO stages 1, 2 and 3 divide the optimizer state, then the gradients, then the weights by the data-parallel
    degree (Rajbhandari et al. 2020, fig. 1) and leave activations, logits and overhead alone."""
    params, dp = 8.03e9, 8
    runs = [estimate("llama-3.1-8b", hardware="h100", mode="train", batch=8, seq=2048, gpus=dp, zero=z).memory
            for z in range(4)]
    base = runs[0]
    assert base.weights == pytest.approx(2 * params, rel=0.01)
    assert base.gradients == pytest.approx(2 * params, rel=0.01)
    assert base.optimizer == pytest.approx(12 * params, rel=0.01)
    assert base.logits == 2048 * 128_256 * (2 + 4 + 4)  # one sequence per rank: bf16 logits, fp32 copy, fp32 gradient
    for stage, sharded in ((1, {"optimizer"}), (2, {"optimizer", "gradients"}), (3, {"optimizer", "gradients", "weights"})):
        m = runs[stage]
        for part in ("weights", "gradients", "optimizer"):
            want = getattr(base, part) / (dp if part in sharded else 1)
            assert getattr(m, part) == pytest.approx(want, rel=1e-6), (stage, part)
        assert (m.activations, m.logits, m.overhead) == (base.activations, base.logits, base.overhead)
