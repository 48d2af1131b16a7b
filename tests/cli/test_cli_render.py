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
