"""No estimate exceeds the hardware's compute or bandwidth ceiling, over the whole model and hardware catalog."""

from __future__ import annotations

import pytest

from sizeup.costs._capacity import choose_point
from sizeup.costs._serving import Replica, ServingEfficiency
from sizeup.costs.traffic import Slo, Traffic
from sizeup.estimation import estimate, get_hardware, list_hardware, list_models

CAUSAL = [m.id for m in list_models() if m.config.get("model_type") not in ("bert",)]
DEVICES = [h for h in list_hardware() if h not in ("cpu", "cuda")]  # the two measured here, not catalog entries
SHAPES = [(128, 128), (2000, 500)]


@pytest.mark.parametrize("dtype", ["bf16", "fp8"])
def test_no_serving_estimate_exceeds_peak_flops_or_bandwidth(dtype) -> None:
    checked = 0
    for model in CAUSAL:
        for name in DEVICES:
            hw = get_hardware(name)
            for i, o in SHAPES:
                est = estimate(model, hardware=hw, dtype=dtype, batch=1, seq=i + o)
                rep = Replica.from_estimate(est, hw, ServingEfficiency(), context=i + o)
                point = choose_point(rep, Traffic(tokens_per_day=1, input=i, output=o), Slo())
                if point is None:
                    continue  # the weights alone do not fit this device
                for batch in {1, point.batch}:
                    st = rep.steady(batch, i, o)
                    peak, _ = hw.peak_flops(dtype)  # the fastest unit the step can use
                    assert st.seconds >= st.flops / peak, (model, name, batch)
                    assert st.seconds >= st.bytes / (hw.bandwidth_gbs * 1e9), (model, name, batch)
                assert point.output_tokens_per_s <= min(point.compute_ceiling_tokens_per_s,
                                                        point.bandwidth_ceiling_tokens_per_s)
                checked += 1
    assert checked > 50
