"""``--hardware cuda``: this machine's GPU, measured on first use like ``cpu``; without one, a one-line error."""

from __future__ import annotations

import pytest

from sizeup.errors import SizeupError
from sizeup.estimation import get_hardware
from sizeup.measurement import available_devices


def test_the_cuda_entry_is_measured_here_or_names_the_catalog_gpus_to_use():
    if "cuda" not in available_devices():
        with pytest.raises(SizeupError, match="none is visible here; choose a catalog GPU such as h100") as err:
            get_hardware("cuda")
        assert "\n" not in str(err.value)
        return
    hw = get_hardware("cuda")
    assert {"fp32", "tf32", "fp16"} <= set(hw.tflops) and all(v > 0 for v in hw.tflops.values())
    assert hw.tflops["fp16"] > hw.tflops["fp32"] and hw.bandwidth_gbs > 10 and hw.memory_bytes > 2**30
    assert hw.description.startswith("this machine's GPU, measured: cuda:0")
