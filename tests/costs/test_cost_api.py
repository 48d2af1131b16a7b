"""sizeup.cost from Python: what a user deciding between self-hosting and an API reads off the result."""

from __future__ import annotations

import json

import pytest

import sizeup
from sizeup.costs import cost
from sizeup.errors import SizeupError

TRAFFIC = "tokens_per_day=2e7, input=500, output=200, peak=3"


@pytest.fixture(scope="module")
def result():
    return cost("llama-3.1-8b", traffic=TRAFFIC, slo="ttft_p95=1s, tpot=50ms", hardware="h100,a100-80gb",
                grid="france", quality={"self": 70.0, "gpt-4o-mini": 80.0})


def test_cost_is_the_lazy_verb_of_the_package() -> None:
    assert sizeup.cost is cost


def test_each_device_gets_a_batch_that_meets_the_slo_and_a_fleet_for_the_peak(result) -> None:
    for o in result.options:
        p = o.point
        assert o.meets_slo and p.tpot_s <= 0.05 and p.ttft_s <= 1.0
        assert p.batch <= p.max_batch
        # the fleet holds the peak: replicas × capacity ≥ peak request rate
        peak_rps = result.traffic.requests_per_day / 86400 * result.traffic.peak
        assert o.replicas * p.output_tokens_per_s / result.traffic.output >= peak_rps
        assert 0 < o.utilisation <= 1 / result.traffic.peak + 1e-9


def test_a_tighter_tpot_lowers_the_batch_and_the_throughput() -> None:
    loose = cost("llama-3.1-8b", traffic=TRAFFIC, slo="tpot=50ms", hardware="h100").options[0].point
    tight = cost("llama-3.1-8b", traffic=TRAFFIC, slo="tpot=8ms", hardware="h100").options[0].point
    assert tight.batch < loose.batch and tight.tpot_s <= 0.008
    assert tight.output_tokens_per_s < loose.output_tokens_per_s


def test_a_higher_peak_needs_more_replicas_at_lower_utilisation() -> None:
    flat = cost("llama-3.1-8b", traffic="tokens_per_day=2e10, input=500, output=200, peak=1", hardware="h100").options[0]
    spiky = cost("llama-3.1-8b", traffic="tokens_per_day=2e10, input=500, output=200, peak=4", hardware="h100").options[0]
    assert spiky.replicas > flat.replicas and spiky.utilisation < flat.utilisation


def test_every_catalog_api_is_priced_for_the_traffic_with_source_and_date(result) -> None:
    names = {a.name for a in result.apis}
    assert {"gpt-4o", "gpt-4o-mini", "deepinfra/llama-3.1-8b", "deepinfra/llama-3.3-70b"} <= names
    a = next(a for a in result.apis if a.name == "gpt-4o-mini")
    per_request = (500 * 0.15 + 200 * 0.60) / 1e6
    assert a.usd_per_month == pytest.approx(per_request * 2e7 / 700 * 730 / 24)
    assert all(x.source.startswith("http") and x.as_of for x in result.apis)


def test_quality_scores_reach_the_options_and_the_apis_hosting_the_same_model(result) -> None:
    assert all(o.quality == 70.0 for o in result.options)
    by = {a.name: a.quality for a in result.apis}
    assert by["gpt-4o-mini"] == 80.0 and by["deepinfra/llama-3.1-8b"] == 70.0 and by["gpt-4o"] is None


def test_energy_is_labelled_estimated_and_co2_follows_the_grid(result) -> None:
    e = result.options[0].energy
    assert e.source.startswith("estimated:") and "700 W TDP" in e.source
    assert e.grid == "france" and e.co2_kg_per_month == pytest.approx(e.kwh_per_month * 56 / 1000)
    assert e.joules_per_token > e.joules_per_token_busy  # idle hours are paid in joules too


def test_a_price_file_adds_and_replaces_entries(tmp_path) -> None:
    f = tmp_path / "prices.csv"
    f.write_text("name,provider,usd_per_1m_input,usd_per_1m_output,source,as_of\n"
                 "gpt-4o,OpenAI,1.0,2.0,my contract,2026-11\nmine,Me,0.01,0.01,quote,2026-11\n")
    r = cost("llama-3.1-8b", traffic=TRAFFIC, hardware="h100", price_file=f)
    by = {a.name: a for a in r.apis}
    assert by["gpt-4o"].usd_per_1m_output == 2.0 and by["gpt-4o"].source == "my contract"
    assert r.cheapest == "mine"
    j = tmp_path / "prices.json"
    j.write_text(json.dumps({"x": {"usd_per_1m_input": "cheap"}}))
    with pytest.raises(SizeupError, match=r"--price-file .*prices.json: price 'x' needs numbers"):
        cost("llama-3.1-8b", traffic=TRAFFIC, hardware="h100", price_file=j)


def test_estimate_reads_the_same_price_catalog() -> None:
    from sizeup.estimation import api_prices, estimate

    names = [a["name"] for a in estimate("llama-3.1-8b", hardware="h100").cost.api]
    assert names == [a.name for a in api_prices()]


def test_a_model_too_big_for_the_device_takes_more_devices_per_replica() -> None:
    o = cost("llama-3.1-70b", traffic=TRAFFIC, hardware="h100").options[0]
    assert o.fits and o.tp == 2  # 141 GB of bf16 weights need two 80 GB devices


def test_a_model_that_cannot_fit_says_how_much_memory_it_needs() -> None:
    o = cost("llama-3.1-405b", traffic=TRAFFIC, hardware="l4", tp=1).options[0]
    assert not o.fits and "GiB per device" in o.notes[0] and o.point is None


def test_unknown_hardware_and_encoders_are_refused_in_one_line() -> None:
    with pytest.raises(SizeupError, match="--hardware 'h900' is not in the catalog"):
        cost("llama-3.1-8b", traffic=TRAFFIC, hardware="h900")
    with pytest.raises(SizeupError, match="prices generating models"):
        cost("bert-base", traffic=TRAFFIC, hardware="h100")
