"""Classic models (ridge, hgb, forest): fitted in one call, run and saved as ONNX, measured like every candidate."""

from __future__ import annotations

import pytest
import torch

from sizeup.checkpoint import load_model, save_model
from sizeup.data.bundle import DataBundle, DataInfo, Split
from sizeup.errors import SizeupError
from sizeup.export import OnnxModel
from sizeup.measurement import count_flops, count_params, measure, weight_bytes
from sizeup.training import default_config, fit
from sizeup.zoo import build, get_family

CLASSIC = ["ridge", "hgb", "forest"]


def _bundle(task: str) -> DataBundle:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(240, 5, generator=g)
    if task == "classification":
        y = (x[:, 0] + 0.5 * x[:, 1] > 0).long() + (x[:, 2] > 1).long()
        n_out = 3
    else:
        y = 2 * x[:, 0] - x[:, 1] ** 2 + 0.1 * torch.randn(240, generator=g)
        n_out = 1
    info = DataInfo("toy", "tabular", task, (5,), n_out, "accuracy" if task == "classification" else "rmse")
    return DataBundle(info, Split(x[:160], y[:160]), Split(x[160:200], y[160:200]), Split(x[200:], y[200:]))


@pytest.fixture(scope="module", params=["classification", "regression"])
def data(request):
    return _bundle(request.param)


@pytest.mark.parametrize("family", CLASSIC)
def test_a_classic_model_fits_in_one_call_and_beats_chance(family, data):
    model = build(family, data.info)
    with pytest.raises(SizeupError, match="only after it is fitted"):
        model(data.test.x)
    result = fit(model, data, default_config("tabular", epochs=30))
    assert result.epochs == 1 and result.stopped == "fitted in one call"
    out = model(data.test.x)
    if data.info.task == "classification":
        assert out.shape == (40, 3) and torch.allclose(out.exp().sum(-1), torch.ones(40), atol=1e-4)  # log-probabilities
        assert result.best_val > 0.6
    else:
        assert out.shape == (40, 1) and result.best_val < float(data.val.y.std())  # better than predicting the mean


@pytest.mark.parametrize("family", CLASSIC)
def test_a_fitted_classic_model_saves_as_onnx_and_loads_back_without_running_code(family, data, tmp_path):
    model = build(family, data.info)
    fit(model, data, default_config("tabular"))
    save_model(model, data.info, tmp_path)
    assert (tmp_path / "model.onnx").is_file() and not (tmp_path / "model.safetensors").exists()
    loaded = load_model(tmp_path)
    assert isinstance(loaded, OnnxModel) and loaded.spec == model.spec
    assert torch.allclose(loaded(data.test.x), model(data.test.x), atol=1e-5)


@pytest.mark.parametrize("family", CLASSIC)
def test_a_classic_model_is_measured_through_the_same_path(family, data):
    model = build(family, data.info)
    fit(model, data, default_config("tabular"))
    m = measure(model, (data.test.x,), latency_budget_s=0.05)
    assert m.params == count_params(model) > 0 and m.latency_ms > 0 and m.throughput > 0
    assert m.weights_mb * 2**20 == weight_bytes(model) == len(model.onnx_bytes())
    assert count_flops(model, (data.test.x[:1],)) == model.flops_per_sample > 0


def test_classic_families_are_tabular_and_not_trained_by_gradient_steps():
    for family in CLASSIC:
        fam = get_family(family)
        assert fam.input_kinds == {"tabular"} and fam.lr_range is None and fam.space
