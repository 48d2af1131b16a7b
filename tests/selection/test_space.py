"""The search space: learning-rate ranges per family and mode, and the baselines' parameters."""

from __future__ import annotations

import optuna
import pytest

from sizeup.selection.space import DEFAULT_LR_RANGE, LR_RANGES, default_params, lr_param, suggest
from sizeup.zoo import ModelSpec
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
