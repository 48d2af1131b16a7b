"""The report a user opens: one offline file, every figure, user strings escaped, `sizeup report` end to end."""

from __future__ import annotations

import json
import re
import subprocess

import plotly.graph_objects as go
import plotly.io as pio

from report_helpers import EVIL, SIZEUP
from sizeup.report import load_run, render_report
from sizeup.report._page import Page

MB = 2**20


def test_report_of_a_mnist1d_search_is_one_offline_file_under_10_mb(mnist1d_run):
    page = mnist1d_run / "report.html"
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 10 * MB
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"?https?:", html), "the page must not fetch anything"
    assert html.count("Plotly.newPlot") == html.count('class="plotly-graph-div"') >= 9
    assert 'id="explanations"' in html and "confusion matrix" in html and "Scaled up" in html
    assert "best so far" in html and "Pareto front" in html and "learning curves" in html


def test_report_renders_again_from_the_run_folder_alone(mnist1d_run):
    run = load_run(mnist1d_run)
    html, figures = render_report(run)
    assert figures == html.count('class="plotly-graph-div"')
    assert run.recommendation["trial"] is not None and run.explanations is not None
    assert "4x (" in html and "16x (" in html  # the winner 4x and 16x wider


def test_user_strings_in_the_page_are_escaped(evil_run):
    html = (evil_run / "report.html").read_text(encoding="utf-8")
    assert EVIL not in html and "</script><b>x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text: class name, text column, samples
    opened, closed = len(re.findall(r"<script\b", html)), html.count("</script>")
    assert opened == closed  # no user string closed a script early


def test_plotly_json_cannot_close_its_script_tag():
    fig = go.Figure(go.Bar(x=[EVIL], y=[1]), layout=dict(title=EVIL))
    assert "</script>" not in pio.to_json(fig) and "<script>" not in pio.to_json(fig)
    page = Page(EVIL)
    page.figures([fig])
    html = page.render()
    assert EVIL not in html and page.n_figures == 1


def test_report_cli_prints_json_and_rejects_a_missing_run(mnist1d_run, tmp_path):
    proc = subprocess.run([*SIZEUP, "report", str(mnist1d_run), "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["bytes"] < 10 * MB and facts["figures"] >= 9 and facts["has_explanations"]
    bad = subprocess.run([*SIZEUP, "report", str(tmp_path / "nope")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and "run folder" in bad.stderr
