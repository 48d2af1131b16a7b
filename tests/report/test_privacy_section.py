"""The report's privacy section: a search run folder with the ``privacy.json`` that ``sizeup privacy`` wrote
renders quality against ε, the table of budgets and the ε spent."""

from __future__ import annotations

import json
import shutil

import pytest

import sizeup
from sizeup.report import write_report

pytest.importorskip("opacus")


def test_a_run_with_a_privacy_curve_gets_a_privacy_section(mnist1d_run, tmp_path, one_thread):
    run = tmp_path / "run"
    shutil.copytree(mnist1d_run, run)  # the session's run stays as the other report tests expect it
    before = (run / "report.html").read_text(encoding="utf-8").count('class="plotly-graph-div"')
    task = sizeup.Task.from_toml(mnist1d_run.parent / "m1d.toml")
    sizeup.privacy_curve(task, family="linear", epsilons=[2.0], out=run, force=True, epochs=1)
    html = write_report(run).read_text(encoding="utf-8")
    assert 'id="privacy"' in html and "against the privacy budget" in html
    assert html.count('class="plotly-graph-div"') == before + 1
    payload = json.loads((run / "privacy.json").read_text(encoding="utf-8"))
    spent = next(r["epsilon_spent"] for r in payload["rows"] if r["budget"] == "ε = 2")
    assert 0 < spent <= 2.0 and f"{spent:.4g}" in html
