"""``sizeup generate`` run for real (subprocess): text on stdout, the same greedy tokens with --no-cache,
one-line errors with exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sizeup
from sizeup.checkpoint import save_model
from sizeup.data.bundle import DataInfo
from sizeup.zoo import build

SIZEUP = Path(sys.executable).parent / "sizeup"
CMD = [str(SIZEUP)] if SIZEUP.exists() else [sys.executable, "-c", "from sizeup.cli import main; main()"]

pytestmark = pytest.mark.usefixtures("one_thread")


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
    return subprocess.run([*CMD, "generate", *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm")
    (folder / "abc.txt").write_text("abcdefgh" * 300, encoding="utf-8")
    task = sizeup.Task.from_dict({"name": "abc", "data": {"source": "abc.txt", "task": "language-modeling",
                                                          "block_size": 16}}, base_dir=folder)
    sizeup.train(task, "gpt", preset="tiny", out=folder / "run", epochs=8, lr=1e-2)
    return folder / "run"


def test_greedy_generation_prints_the_continuation_and_no_cache_agrees(lm_run):
    fast = run(lm_run, "--prompt", "abc", "--max-new-tokens", "13", "--temperature", "0", "--json")
    slow = run(lm_run, "--prompt", "abc", "--max-new-tokens", "13", "--temperature", "0", "--json", "--no-cache")
    assert fast.returncode == 0 and slow.returncode == 0, fast.stderr + slow.stderr
    a, b = json.loads(fast.stdout), json.loads(slow.stdout)
    assert a["text"] == "abcdefghabcdefgh" and a["tokens"] == b["tokens"]
    assert a["cache"] is True and b["cache"] is False and a["tokens_per_second"] > 0


def test_sampling_prints_text_and_flags_unknown_characters(lm_run):
    proc = run(lm_run, "-p", "ab€", "-n", "5", "--temperature", "0.8", "--top-k", "3", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ab€") and len(proc.stdout.strip()) == 8
    assert "read as <unk>: '€'" in proc.stderr


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    info = DataInfo("tab", "tabular", "classification", (4,), 3, "accuracy")
    return save_model(build("linear", info), info, tmp_path_factory.mktemp("clf") / "model")


@pytest.mark.parametrize(("where", "args", "words"), [
    ("missing", ["-p", "ab"], "not found"),
    ("classifier", ["-p", "ab"], "is a classification model"),
    ("lm", ["-p", "ab", "--top-k", "0"], "top_k must be at least 1"),
])
def test_bad_inputs_end_in_one_line_errors(where, args, words, lm_run, classifier, tmp_path):
    target = {"missing": tmp_path / "nope", "classifier": classifier, "lm": lm_run}[where]
    proc = run(target, *args)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and err.startswith("error:") and words in err, err
