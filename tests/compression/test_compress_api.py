"""``sizeup.compress``: each method saves a model that loads back, re-measured against the original."""

from __future__ import annotations

import json

import torch

import sizeup
from sizeup.checkpoint import load_model as load_compressed
from sizeup.compression.prune import sparsity


def _same_outputs(result, folder, data_x):
    back = load_compressed(folder)
    with torch.inference_mode():
        return torch.allclose(back(data_x), result.model(data_x), atol=1e-5)


def test_int8_writes_an_onnx_model_smaller_on_disk_and_close_in_quality(trained, tmp_path):
    result = sizeup.compress(trained, "int8", out=tmp_path / "q", latency_budget_s=0.1)
    assert (tmp_path / "q" / "model.onnx").is_file() and result.after.runtime == "onnxruntime"
    assert result.reference is not None and result.reference.runtime == "onnxruntime"  # float ONNX shown beside it
    assert result.after.size_mb < result.before.size_mb
    assert abs(result.quality_change) <= 3.0
    assert result.after.params == result.before.params  # quantization keeps the parameter count
    assert any("run on the CPU" in line for line in result.verdicts)  # an int8 method is a CPU method
    saved = json.loads((tmp_path / "q" / "compress.json").read_text())
    assert saved["method"] == "int8" and len(saved["rows"]) == 3
    x = sizeup.load_data(sizeup.Task.from_dict({"name": "d", "data": {"source": "digits"}})).test.x[:16]
    assert _same_outputs(result, tmp_path / "q", x)


def test_structured_pruning_removes_channels_and_reloads(trained, tmp_path):
    result = sizeup.compress(trained, "prune:0.5,epochs=1", out=tmp_path / "p", latency_budget_s=0.1)
    assert result.after.params < 0.5 * result.before.params
    assert result.after.size_mb < result.before.size_mb
    back = load_compressed(tmp_path / "p")
    x = torch.randn(4, *back.info.input_shape)
    with torch.inference_mode():
        assert torch.allclose(back(x), result.model(x), atol=1e-5)


def test_unstructured_pruning_reports_sparsity_and_says_it_is_not_faster(trained, tmp_path):
    result = sizeup.compress(trained, "prune-unstructured:0.6,epochs=1", out=tmp_path / "u", latency_budget_s=0.1)
    assert sparsity(result.model) >= 0.59 and result.details["sparsity"] >= 0.59
    assert any("do not skip zeros" in line for line in result.verdicts)


def test_distilled_student_has_a_quarter_of_the_params_and_loads_with_sizeup_load(trained, tmp_path):
    result = sizeup.compress(trained, "distill:epochs=6", out=tmp_path / "d", latency_budget_s=0.1)
    assert result.after.params <= result.before.params / 4
    assert result.after.quality > 0.3  # it learned: ten classes, chance is 0.1
    student = sizeup.load(tmp_path / "d")
    assert student.spec.family == "cnn" and student.spec.config.width < 16
