"""Traffic and SLO text is parsed once at the boundary; bad input names the key and the fix."""

from __future__ import annotations

import pytest

from sizeup.costs import Slo, Traffic, parse_slo, parse_traffic
from sizeup.errors import SizeupError


def test_traffic_reads_the_issue_example_and_derives_requests() -> None:
    t = parse_traffic("tokens_per_day=2e7, input=500, output=200, peak=3")
    assert t == Traffic(tokens_per_day=2e7, input=500, output=200, peak=3.0)
    assert t.requests_per_day == pytest.approx(2e7 / 700)


def test_requests_per_day_is_an_alternative_to_tokens_per_day() -> None:
    assert parse_traffic("requests_per_day=1000, input=100, output=50").tokens_per_day == 150_000


def test_slo_reads_seconds_and_milliseconds() -> None:
    assert parse_slo("ttft_p95=1s, tpot=50ms") == Slo(ttft_p95_s=1.0, tpot_s=0.05)
    assert parse_slo("tpot=0.02") == Slo(tpot_s=0.02)


@pytest.mark.parametrize("text,needle", [
    ("tokens_per_day=2e7, input=500", "needs input=, output="),
    ("tokens_per_day=lots, input=1, output=1", "tokens_per_day='lots' is not a number"),
    ("tokens_per_day=1e6, input=500, output=200, peak=0.5", "peak=0.5 must be a number ≥ 1"),
    ("tokens_per_day=1e6, input=500, output=200, burst=2", "'burst=2' is not key=value"),
    ("tokens_per_day=1e6, requests_per_day=5, input=5, output=5", "one of tokens_per_day= or requests_per_day="),
])
def test_bad_traffic_is_one_line_naming_the_key(text, needle) -> None:
    with pytest.raises(SizeupError, match="--traffic") as err:
        parse_traffic(text)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_slo_duration_names_the_key() -> None:
    with pytest.raises(SizeupError, match="tpot='fast' is not a duration"):
        parse_slo("tpot=fast")
