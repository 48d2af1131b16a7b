"""sizeup cost on the command line: the table, --json, the HTML page with the break-even marked, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

CLI = [sys.executable, "-c", "from sizeup.cli import main; main()"]


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_cost_json_and_page_with_break_even(tmp_path) -> None:
    p = run("cost", "llama-3.1-8b", "--traffic", "tokens_per_day=1e9, input=500, output=200, peak=2",
            "--slo", "ttft_p95=1s, tpot=50ms", "--hardware", "h100,l4", "--grid", "60", "--quality", "self=71",
            "--json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert [o["hardware"] for o in out["options"]] == ["h100", "l4"]
    assert out["options"][0]["point"]["batch"] >= 1 and out["options"][0]["energy"]["grid_g_per_kwh"] == 60
    assert out["traffic"]["requests_per_day"] == 1e9 / 700
    assert any(b["tokens_per_month"] for b in out["breakeven"])
    page = (tmp_path / "cost.html").read_text(encoding="utf-8")
    assert out["html"] == "cost.html" and "break-even" in page and "your traffic" in page
    assert "Plotly" in page and "<script src=" not in page  # plotly.js inlined: opens offline


def test_an_existing_page_is_kept_and_the_refusal_is_one_line_with_exit_code_2(tmp_path) -> None:
    (tmp_path / "cost.html").write_text("mine")
    p = run("cost", "llama-3.1-8b", "--traffic", "tokens_per_day=1e9, input=500, output=200", cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.strip().count("\n") == 0
    assert "cost.html already exists; pass --force" in p.stderr
    assert (tmp_path / "cost.html").read_text() == "mine"
