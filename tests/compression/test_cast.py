"""Half-precision casting as a compression method: measured on the device the model serves on."""

from __future__ import annotations

import pytest
import torch

import sizeup
from sizeup.checkpoint import load_model as load_compressed
from sizeup.measurement import available_devices


@pytest.mark.parametrize("method,kind", [("bf16", "cpu"), ("fp16", "cuda"), ("bf16", "cuda")])
def test_a_cast_model_is_16_bit_close_in_quality_and_reloads_the_same(trained, tmp_path, method, kind):
    if kind not in available_devices():
        pytest.skip(f"no {kind} device on this machine")
    result = sizeup.compress(trained, method, out=tmp_path / method, latency_budget_s=0.05, device=kind)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[method]
    assert {p.dtype for p in result.model.parameters()} == {dtype}
    assert result.after.size_mb < 0.6 * result.before.size_mb  # half the bytes per weight
    assert abs(result.quality_change) <= 2.0
    assert result.before.device.startswith(kind) and result.after.device.startswith(kind)
    assert result.verdicts[0].startswith("batch-1 latency")  # the measured speed-up (or slow-down) is stated
    back = load_compressed(tmp_path / method).to(kind)
    x = torch.rand(4, 1, 8, 8, device=kind)
    with torch.inference_mode():
        out = back(x)
        assert out.dtype == torch.float32 and torch.equal(out, result.model(x))

