"""The report in a real browser: Debian Chromium, headless, from a file:// URL, with no network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from report_helpers import EVIL

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed (apt install chromium)")


def _open(report: Path, profile: Path, shot: Path) -> dict:
    from playwright.sync_api import sync_playwright

    errors, dialogs = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=FLAGS, headless=True,
                                                       viewport={"width": 1280, "height": 900})
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
            facts = {"divs": page.locator(".plotly-graph-div").count(),
                     "drawn": page.evaluate("[...document.querySelectorAll('.plotly-graph-div')]"
                                            ".filter(d => d.querySelector('.main-svg')).length"),
                     "text": page.inner_text("body")}
            page.locator("table.sortable th", has_text="params").click()  # the leaderboard sorts without errors
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    return {**facts, "errors": errors, "dialogs": dialogs}


def test_report_renders_every_figure_in_chromium_without_errors(mnist1d_run, tmp_path):
    shot = tmp_path / "report.png"
    facts = _open(mnist1d_run / "report.html", tmp_path / "profile", shot)
    assert facts["errors"] == []
    html = (mnist1d_run / "report.html").read_text(encoding="utf-8")
    assert facts["divs"] == facts["drawn"] == html.count('class="plotly-graph-div"') >= 9
    assert shot.stat().st_size > 10_000


def test_a_class_named_script_shows_as_text_and_never_runs(evil_run, tmp_path):
    facts = _open(evil_run / "report.html", tmp_path / "profile", tmp_path / "evil.png")
    assert facts["dialogs"] == [] and facts["errors"] == []
    assert EVIL in facts["text"]  # the class name, shown literally
    assert facts["divs"] == facts["drawn"] >= 3
