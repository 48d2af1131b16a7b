"""What the CLI draws: long recommendation reasons wrap inside their panel instead of being cut off."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from sizeup.cli.search_cmd import print_recommendation


def test_long_reasons_wrap_inside_the_panel_and_lose_no_word():
    reason = ("within one point: cnn(width=32, depth=2, kernel=3, dropout=0.16, residual=False) (val 0.9950) "
              "with 0.65x the parameters and 0.96x the latency")
    rec = SimpleNamespace(reasons=[reason], headline="use cnn (trial 11)", feasible=True)
    out = io.StringIO()
    print_recommendation(Console(file=out, width=60, soft_wrap=True, color_system=None), rec)
    text = out.getvalue()
    assert all(len(line) <= 60 for line in text.splitlines())
    shown = " ".join(line.strip("│ ") for line in text.splitlines()[1:-1])
    assert " ".join(shown.split()) == "- " + reason


def _render(renderable) -> str:
    out = io.StringIO()
    Console(file=out, width=200, soft_wrap=True, color_system=None).print(renderable)
    return out.getvalue()


def test_brackets_in_a_recommendation_are_printed_as_written_not_read_as_markup():
    rec = SimpleNamespace(reasons=["[constraints] max_params binds: [data] source 'runs/[v2]/x.csv'"],
                          headline="use mlp on [budget] (trial 3)", feasible=True)
    out = io.StringIO()
    print_recommendation(Console(file=out, width=120, soft_wrap=True, color_system=None), rec)
    text = out.getvalue()
    assert "[constraints] max_params binds: [data] source 'runs/[v2]/x.csv'" in text
    assert "use mlp on [budget] (trial 3)" in text


def test_brackets_in_the_training_table_are_printed_as_written():
    from sizeup.cli.train_cmd import _table

    summary = {"model": "cnn(kernels=[a], tag=[bold])", "metric": "accuracy", "test_accuracy": 0.5,
               "val_accuracy": 0.5, "params": 10, "flops": 20, "train_seconds": 1.0, "epochs": 1, "best_epoch": 1,
               "latency_ms": 0.1, "latency_min_ms": 0.1, "latency_max_ms": 0.2, "throughput": 100.0,
               "throughput_batch": 8, "memory_mb": 1.0, "weights_mb": 0.5, "stopped": "[train] time reached",
               "device": "cpu: [x] (1 threads)"}
    text = _render(_table(summary))
    for shown in ("cnn(kernels=[a], tag=[bold])", "[train] time reached", "cpu: [x] (1 threads)"):
        assert shown in text, text
