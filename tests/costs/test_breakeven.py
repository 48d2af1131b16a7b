"""Break-even: the utilisation at which an API becomes cheaper, and the volume at which self-hosting wins."""

from __future__ import annotations

import pytest

from sizeup.costs import cost

TRAFFIC_1K = "tokens_per_day=1e9, input=1000, output=1000, peak=1"


def _option_and_breakeven(model: str, hardware: str, price: float, api: str):
    r = cost(model, traffic=TRAFFIC_1K, hardware=hardware, dtype="fp8", gpu_price=price)
    o = r.options[0]
    b = next(b for b in r.breakeven if b.api == api)
    a = next(a for a in r.apis if a.name == api)
    return o, b, a


def test_8b_on_an_h100_at_2_69_breaks_even_with_a_5_cent_api_at_a_stated_utilisation() -> None:
    o, b, a = _option_and_breakeven("llama-3.1-8b", "h100", 2.69, "deepinfra/llama-3.1-8b")
    assert o.usd_per_1m_output_full_load == pytest.approx(0.05, rel=0.30)
    assert a.usd_per_1m_output == 0.05
    assert 0 < b.utilisation < 1
    # at that utilisation self-hosting costs what the API bills per request
    per_request_self = o.usd_per_1m_output_full_load * 1000 / 1e6 / b.utilisation
    per_request_api = (1000 * a.usd_per_1m_input + 1000 * a.usd_per_1m_output) / 1e6
    assert per_request_self == pytest.approx(per_request_api)


def test_70b_on_an_h200_at_3_59_is_cheaper_than_a_40_cent_api_when_busy() -> None:
    o, b, a = _option_and_breakeven("llama-3.3-70b", "h200", 3.59, "deepinfra/llama-3.3-70b")
    assert o.usd_per_1m_output_full_load == pytest.approx(0.34, rel=0.30)
    assert o.usd_per_1m_output_full_load < a.usd_per_1m_output
    assert b.utilisation < 1 and b.tokens_per_month is not None


def test_a_peak_the_fleet_must_hold_can_rule_break_even_out() -> None:
    flat = cost("llama-3.1-8b", traffic="tokens_per_day=1e9, input=500, output=200, peak=1", hardware="h100",
                dtype="fp8", gpu_price=2.69)
    spiky = cost("llama-3.1-8b", traffic="tokens_per_day=1e9, input=500, output=200, peak=10", hardware="h100",
                 dtype="fp8", gpu_price=2.69)
    name = "groq/llama-3.1-8b-instant"
    f = next(b for b in flat.breakeven if b.api == name)
    s = next(b for b in spiky.breakeven if b.api == name)
    assert f.tokens_per_month is not None and s.tokens_per_month is None  # 1/10 busy at most: never cheaper
    assert f.utilisation == pytest.approx(s.utilisation) and s.utilisation > 1 / 10
