"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    return [ln for ln in first_block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def test_readme_opens_with_exactly_two_commands():
    cmds = _commands()
    assert len(cmds) == 2
    assert "sizeup search examples/" in cmds[0] and "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_every_example_task_file_loads():
    from sizeup.task import Task

    names = {Task.from_toml(p).data.source for p in (ROOT / "examples").glob("*.toml")}
    assert {"digits", "mnist1d", "zh-news"} <= names
