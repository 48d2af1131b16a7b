"""The search space: learning-rate ranges per family and mode, and the baselines' parameters."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import optuna
import pytest
import torch

from sizeup.selection.space import default_params, lr_param, searchable_families, suggest
from sizeup.zoo import ModelSpec
from sizeup.zoo._registry import _FAMILIES, DEFAULT_LR_RANGE, register
from sizeup.zoo.pretrained import PretrainedConfig


@pytest.mark.parametrize(("mode", "name", "lr_range"), [("frozen", "pretrained:minilm.frozen.lr", (1e-3, 3e-2)),
                                                        ("finetune", "pretrained:minilm.lr", (2e-5, 2e-4))])
def test_a_frozen_encoder_gets_a_linear_probes_learning_rate_and_fine_tuning_a_small_one(mode, name, lr_range):
    assert lr_param("pretrained:minilm", {"mode": mode}) == (name, lr_range)


def test_every_sampled_pretrained_learning_rate_lies_in_its_modes_range():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        _, knobs, settings = suggest(trial, ["pretrained:minilm"])
        low, high = lr_param("pretrained:minilm", knobs)[1]
        assert low <= settings["lr"] <= high
        seen.add(knobs["mode"])
        study.tell(trial, 0.0)
    assert seen == {"frozen", "finetune"}


def test_the_pretrained_baseline_is_frozen_with_its_learning_rate_clamped_into_the_probe_range():
    params = default_params("pretrained:minilm", {"mode": "frozen", "model": "minilm"}, lr=2e-3)
    assert params["pretrained:minilm.mode"] == "frozen" and params["pretrained:minilm.frozen.lr"] == 2e-3
    assert "pretrained:minilm.lr" not in params
    assert default_params("cnn", {"width": 32, "depth": 3, "kernel": 5, "residual": True, "dilation": False,
                                  "dropout": 0.0}, lr=1.0)["cnn.lr"] == DEFAULT_LR_RANGE[1]


@pytest.mark.parametrize(("model", "label"), [("minilm", "pretrained(model=minilm, mode=frozen)"),
                                              ("/data/models/bert-base-chinese/", "pretrained(model=bert-base-chinese, mode=frozen)")])
def test_a_pretrained_candidates_label_names_its_model_and_mode(model, label):
    assert ModelSpec("pretrained", PretrainedConfig(model=model)).describe() == label


@dataclass
class _ProbeConfig:
    width: int = 8
    depth: int = 1


@pytest.fixture
def probe_family():
    register("probe_family", config=_ProbeConfig, inputs={"tabular"}, presets={"base": {}}, description="a test family",
             space={"width": ("cat", [4, 8])}, lr_range=(1e-4, 2e-4))(lambda cfg, info: torch.nn.Linear(1, 1))
    yield "probe_family"
    _FAMILIES.pop("probe_family")


def test_a_family_registered_with_its_space_is_searched_with_its_own_knobs_and_learning_rates(probe_family):
    assert probe_family in searchable_families("tabular", None)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(10):
        trial = study.ask()
        family, knobs, settings = suggest(trial, [probe_family])
        assert family == probe_family and set(knobs) == {"width"} and knobs["width"] in (4, 8)
        assert 1e-4 <= settings["lr"] <= 2e-4
        study.tell(trial, 0.0)


def test_a_family_without_a_space_is_not_searched_and_naming_it_says_so(probe_family):
    from sizeup.errors import SizeupError
    from sizeup.zoo import get_family

    assert get_family("pretrained").space is not None and "pretrained" not in searchable_families("tokens", None)
    _FAMILIES["probe_family"] = dataclasses.replace(get_family(probe_family), space=None)
    assert probe_family not in searchable_families("tabular", None)
    with pytest.raises(SizeupError, match="has no search space"):
        searchable_families("tabular", [probe_family])
