"""The report's scaling section, rendered from the JSON a search's fit writes: one figure per fitted family with
its curve, interval band and forecasts, the sentence, the refusals, and user strings escaped."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sizeup.report._page import Page
from sizeup.report._scaling_section import scaling_section
from sizeup.scaling import fit_leaderboard

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def payload():
    rows = [{"trial": i, "family": EVIL, "model": f"m{i}", "status": "completed", "params": n, "flops": n,
             "latency_ms": 0.1, "epochs": 5, "val_accuracy": a, "test_accuracy": a}
            for i, (n, a) in enumerate([(1_000, 0.6), (2_000, 0.68), (4_000, 0.74), (8_000, 0.78)])]
    rows.append({"trial": 9, "family": "gru", "model": "g", "status": "completed", "params": 5, "flops": 5,
                 "latency_ms": 1.0, "epochs": 5, "val_accuracy": 0.5, "test_accuracy": 0.5})
    return json.loads(json.dumps(fit_leaderboard(pd.DataFrame(rows), "accuracy", True, bootstrap=20).to_json()))


def test_section_draws_one_figure_per_family_with_band_points_and_forecasts(payload):
    page = Page("t")
    scaling_section(payload, page)
    html = page.render()
    assert page.n_figures == 1 and 'id="scaling"' in html
    for trace in ('"name":"fit"', '"name":"trained"', '"name":"forecast"', '"fill":"tonexty"'):
        assert trace in html
    assert "would likely gain" in html and "Not fitted: gru" in html


def test_user_strings_are_escaped_in_the_section(payload):
    page = Page("t")
    scaling_section(payload, page)
    html = page.render()
    assert EVIL not in html and "&lt;script&gt;" in html
