"""Which sizes to train: parameter counts about ×2 apart along width, depth or both (built on the meta device)."""

from __future__ import annotations

import pytest

from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError
from sizeup.scaling._sizes import count_params_meta, knobs_for_params, ladder, start_knobs

SIGNAL = DataInfo(name="sig", input_kind="signal", task="classification", input_shape=(1, 40), n_outputs=10,
                  metric="accuracy")


def params(family, sizes):
    return [count_params_meta(family, SIGNAL, k) for k in sizes]


@pytest.mark.parametrize(("family", "knob", "knobs"), [("mlp", "width", {"width": 16, "depth": 2}),
                                                      ("mlp", "depth", None), ("mlp", "both", None)])
def test_ladder_doubles_parameters_and_only_grows(family, knob, knobs):
    start = start_knobs(family, knob, knobs)
    sizes = ladder(family, SIGNAL, knob=knob, start=start, sizes=5)
    counts = params(family, sizes)
    ratios = [b / a for a, b in zip(counts, counts[1:])]
    assert all(1.5 <= r <= 2.7 for r in ratios), (sizes, counts)
    for k in sizes:  # only the scaled knob(s) change
        assert {n: v for n, v in k.items() if n not in ("width", "depth")} == \
               {n: v for n, v in start.items() if n not in ("width", "depth")}


def test_forecast_size_lands_near_its_parameter_target():
    start = start_knobs("mlp", "width", {"width": 16, "depth": 2})
    knobs = knobs_for_params("mlp", SIGNAL, knob="width", start=start, target=100 * 9226)
    assert knobs["depth"] == 2 and abs(count_params_meta("mlp", SIGNAL, knobs) / (100 * 9226) - 1) < 0.02


def test_a_width_the_heads_do_not_divide_is_skipped():
    start = start_knobs("transformer", "width", {"width": 8, "depth": 1, "heads": 4})
    knobs = knobs_for_params("transformer", SIGNAL, knob="width", start=start, target=2 * count_params_meta(
        "transformer", SIGNAL, start))
    assert knobs["width"] % 4 == 0 and knobs["width"] > 8


def test_a_family_without_the_knob_is_refused_naming_its_knobs():
    with pytest.raises(SizeupError, match="family 'linear' has no width knob to scale; its knobs are: dropout"):
        start_knobs("linear", "width", None)


def test_an_unknown_knob_is_refused_with_the_choices():
    with pytest.raises(SizeupError, match="--knob must be one of width, depth, both, got 'height'"):
        start_knobs("mlp", "height", None)
