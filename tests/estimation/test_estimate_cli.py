"""``sizeup estimate`` on a throwaway Typer app: tables, --json keys, --list, one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sizeup.cli import estimate_cmd

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("estimate")(estimate_cmd.estimate)
    app.command("noop")(lambda: None)  # two commands, so "estimate" stays a sub-command
    return app


def test_json_has_the_documented_keys(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["estimate", "mixtral-8x7b", "--hardware", "h100", "--gpus", "2", "--tp", "2", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert {"params", "active_params", "flops_per_token", "memory_bytes", "fits"} <= set(out)
    assert out["active_params"] < out["params"]
    assert {"weights", "kv_cache", "activations", "logits", "overhead", "total"} <= set(out["memory_bytes"])


def test_table_output_and_plan(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["estimate", "llama-3.1-8b", "--mode", "train", "--batch", "64", "--seq", "4096",
                                   "--gpus", "8", "--plan"])
    assert res.exit_code == 0, res.output
    assert "memory per device" in res.stdout and "parallel plans that fit" in res.stdout


def test_list_shows_catalog(app: typer.Typer) -> None:
    res = CliRunner().invoke(app, ["estimate", "--list"])
    assert res.exit_code == 0 and "llama-3.1-405b" in res.stdout and "h100" in res.stdout


@pytest.mark.parametrize("args,needle", [
    (["estimate", "no-such-model"], "unknown model"),
    (["estimate", "llama-3.1-8b", "--tp", "3"], "--tp 3 does not divide num_attention_heads=32"),
    (["estimate", "llama-3.1-8b", "--dtype", "fp4"], "--dtype"),
    (["estimate", "llama-3.1-8b", "--hardware", "tpu9"], "--hardware"),
])
def test_bad_input_is_one_line_exit_2(app: typer.Typer, args: list[str], needle: str) -> None:
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2
    assert needle in res.output and "Traceback" not in res.output


def test_subprocess_bad_input_exits_2_without_traceback() -> None:
    code = ("import typer; from sizeup.cli import estimate_cmd; app = typer.Typer(); "
            "app.command('estimate')(estimate_cmd.estimate); app.command('noop')(lambda: None); app()")
    proc = subprocess.run([sys.executable, "-c", code, "estimate", "llama-3.1-8b", "--tp", "3"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "num_attention_heads" in proc.stderr


def test_zoo_spec_with_task_is_measured_exactly(app: typer.Typer) -> None:
    task = ROOT / "examples" / "mnist1d.toml"
    if not task.is_file():
        pytest.skip("examples/mnist1d.toml not present")
    res = CliRunner().invoke(app, ["estimate", "mlp:width=32,depth=2", "--task", str(task), "--mode", "train",
                                   "--batch", "64", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["source"] == "zoo" and out["flops_per_sample"]["forward"] > 0 and out["fits"]
