"""The bad-input suite: malformed task files, data files and run folders through the real ``sizeup`` CLI.

Every case must exit with code 2, print ONE line on stderr that starts with ``error:`` and names the
file, key or column, print no traceback, and leave the user's files exactly as they were (every file
is hashed before and after; no file may appear or vanish). The cases live in ``bad_input_cases.py``.

They run through the real entry point ``sizeup.cli.main`` in one subprocess (``cli_driver.py``), which
pays Python and torch start-up once instead of once per case; a few real one-process-per-case runs
below check the exit code and that a task-file error, ``--help`` and ``datasets`` import no torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bad_input_cases import CASES, SENTINEL, hostile_pickle

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "NO_COLOR": "1", "PYTHONWARNINGS": "ignore"}


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _shared_models(shared: Path) -> None:
    """A saved tabular MLP (with its task) and a saved character GPT, as ``sizeup train`` leaves them."""
    import torch

    from sizeup.checkpoint import save_model
    from sizeup.data import load_data
    from sizeup.task import Task
    from sizeup.zoo import build

    rows = "".join(f"{i % 7},{(i * 3) % 5},{i % 3}\n" for i in range(60))
    (shared / "data.csv").write_text("a,b,label\n" + rows, encoding="utf-8")
    (shared / "corpus.txt").write_text("the quick brown fox jumps over the lazy dog. " * 40, encoding="utf-8")
    torch.manual_seed(0)
    for name, data, family in (("mlp", {"source": str(shared / "data.csv")}, "mlp"),
                               ("gpt", {"source": str(shared / "corpus.txt"), "task": "language-modeling",
                                        "block_size": 16}, "gpt")):
        task = Task.from_dict({"name": name, "data": data})
        info = load_data(task).info
        save_model(build(family, info, preset="tiny"), info, shared / name,
                   extra={"task": task.model_dump(mode="json")})


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """Write every case's files, hash them, run all cases in one CLI process, hash again."""
    root = tmp_path_factory.mktemp("bad_inputs")
    shared = root / "_shared"
    shared.mkdir()
    _shared_models(shared)
    cases = []
    for c in CASES:
        folder = root / c.id
        folder.mkdir()
        cases.append({"id": c.id, "argv": c.build(folder, shared), "cwd": str(folder)})
    before = {c.id: (_hashes(root / c.id), _tree(root / c.id)) for c in CASES}
    shared_before = _hashes(shared)
    (root / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(HERE / "cli_driver.py"), str(root / "cases.json"),
                           str(root / "results.json")], capture_output=True, text=True, env=ENV, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((root / "results.json").read_text(encoding="utf-8"))
    return {"root": root, "results": results, "before": before, "shared_before": shared_before}


def test_the_suite_has_at_least_60_cases_covering_every_command():
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len(CASES)
    assert {c.command for c in CASES} >= {"train", "search", "compress", "estimate", "explain", "report", "generate"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_line_naming_it_with_exit_code_2(suite, case):
    result = suite["results"][case.id]
    err = result["stderr"]
    assert "Traceback" not in err, err
    assert result["rc"] == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    for word in case.words:
        assert word in lines[0], f"{word!r} not in: {lines[0]}"
    assert result["stdout"] == ""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_leaves_the_users_files_untouched(suite, case):
    folder = suite["root"] / case.id
    hashes, tree = suite["before"][case.id]
    assert _tree(folder) == tree, sorted(_tree(folder) ^ tree)  # nothing written, nothing removed
    assert _hashes(folder) == hashes
    assert _hashes(suite["root"] / "_shared") == suite["shared_before"]


def test_the_hostile_pickle_would_run_code_but_sizeup_never_runs_it(suite, tmp_path, monkeypatch):
    """Plain pickle creates the sentinel file; none of the cases that feed sizeup such a file created one."""
    monkeypatch.chdir(tmp_path)
    pickle.loads(hostile_pickle())  # noqa: S301 - the point: this is what a naive loader would do
    assert (tmp_path / SENTINEL).exists()
    hostile = [c for c in CASES if "hostile" in c.id or "pickled-object" in c.id or "metacharacters" in c.id]
    assert len(hostile) >= 4
    for c in hostile:
        assert suite["results"][c.id]["rc"] == 2
        assert not list((suite["root"] / c.id).rglob(SENTINEL)), c.id


# ----- real processes: the exit code, and nothing heavy imported before the task file is read ------------


def test_a_task_file_error_in_a_real_process_is_one_line_exit_2_without_torch(tmp_path):
    (tmp_path / "task.toml").write_text('name = "t"\n[data]\nsource = "digits"\n[budget]\ntime = "soon"\n')
    probe = ("import sys; from sizeup.cli import main\n"
             "try:\n    main()\nexcept SystemExit as e:\n"
             "    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'sklearn', 'pandas', 'optuna'})\n"
             "    print(heavy); raise SystemExit(e.code)\n")
    for argv in (["train", "task.toml", "--family", "mlp"], ["search", "task.toml"]):
        proc = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=tmp_path,
                              env=ENV, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == "error: task.toml: [budget] time 'soon' is not a duration; write e.g. '90s', '5m' or '1h'"
        assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(("argv", "shown"), [(["--help"], "search"), (["datasets", "--json"], "mnist1d")])
def test_help_and_datasets_import_neither_torch_nor_sklearn(tmp_path, argv, shown):
    probe = ("import sys; from sizeup.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'sklearn', 'pandas', 'optuna'}))\n")
    proc = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=tmp_path,
                          env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert shown in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"
