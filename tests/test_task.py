"""The task file: examples load, and every mistake is one line that names the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizeup.errors import SizeupError
from sizeup.task import Task, parse_duration

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "task.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(SizeupError) as exc:
        Task.from_toml(path)
    message = str(exc.value)
    assert "\n" not in message, message
    return message


def test_there_are_example_task_files():
    assert {p.stem for p in EXAMPLES} >= {"digits", "mnist1d", "zh-news"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_task_files_load(path):
    task = Task.from_toml(path)
    assert task.name == path.stem
    assert task.data.source and task.budget.seconds > 0
    assert task.base_dir == path.resolve().parent


def test_a_minimal_task_gets_the_defaults(tmp_path):
    task = Task.from_toml(_write(tmp_path, 'name = "t"\n[data]\nsource = "x.csv"\n'))
    assert task.data.task == "classification" and task.data.val_fraction == 0.1
    assert task.budget.seconds == 300.0 and task.train.seed == 0 and task.train.overrides() == {}
    assert task.resolve_path("x.csv") == tmp_path / "x.csv"


def test_train_section_overrides_are_only_what_the_file_sets(tmp_path):
    task = Task.from_toml(_write(tmp_path, 'name = "t"\n[data]\nsource = "d"\n[train]\nepochs = 3\nlr = 0.1\nseed = 7\n'))
    assert task.train.overrides() == {"epochs": 3, "lr": 0.1}
    assert task.train.seed == 7


def test_malformed_toml_is_one_line_with_the_line(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data\nsource = "digits"\n'))
    assert "malformed TOML" in message and "line 2" in message


def test_unknown_key_is_one_line_naming_the_key(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data]\nsource = "digits"\nsorce = "x"\n'))
    assert "unknown key" in message and "[data] sorce" in message


def test_unknown_section_is_one_line_naming_it(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data]\nsource = "digits"\n[trian]\nepochs = 2\n'))
    assert "trian" in message


def test_missing_data_source_is_one_line_naming_the_key(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data]\ntask = "classification"\n'))
    assert "[data] source" in message and "missing" in message


def test_missing_data_section_is_one_line(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n'))
    assert "data" in message and "missing" in message


def test_bad_task_value_is_one_line_naming_the_key_and_the_value(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data]\nsource = "digits"\ntask = "clustering"\n'))
    assert "[data] task" in message and "clustering" in message and "classification" in message


@pytest.mark.parametrize(("section", "key"), [("budget", "time"), ("train", "time")])
def test_bad_duration_is_one_line_naming_the_key(tmp_path, section, key):
    message = _error(_write(tmp_path, f'name = "t"\n[data]\nsource = "digits"\n[{section}]\n{key} = "soon"\n'))
    assert f"[{section}] {key}" in message and "soon" in message


def test_negative_budget_is_refused(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data]\nsource = "digits"\n[budget]\ntime = -5\n'))
    assert "[budget] time" in message and "positive" in message


@pytest.mark.parametrize(("key", "value"), [("val_fraction", "1.5"), ("max_length", "2"), ("tokenizer", '"sentencepiece"')])
def test_out_of_range_data_settings_name_the_key(tmp_path, key, value):
    message = _error(_write(tmp_path, f'name = "t"\n[data]\nsource = "d"\n{key} = {value}\n'))
    assert f"[data] {key}" in message


def test_bad_task_name_is_refused(tmp_path):
    message = _error(_write(tmp_path, 'name = "my task/1"\n[data]\nsource = "digits"\n'))
    assert "name" in message


def test_missing_task_file_is_one_line(tmp_path):
    message = _error(tmp_path / "nope.toml")
    assert "nope.toml" in message and "not found" in message


def test_a_task_file_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "task.toml"
    path.write_bytes(b'name = "\xff\xfe"\n')
    assert "UTF-8" in _error(path)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("90s", 90.0), ("90", 90.0), ("5m", 300.0), ("5 min", 300.0), ("1.5h", 5400.0), ("2hr", 7200.0),
     (" 10sec ", 10.0), (30, 30.0), (2.5, 2.5)],
)
def test_parse_duration_reads_units(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "5 days", "-3s", "1e3s", "", "m5", True])
def test_parse_duration_refuses_non_durations(value):
    with pytest.raises(SizeupError) as exc:
        parse_duration(value, what="[budget] time")
    assert str(exc.value).startswith("[budget] time")


@pytest.mark.parametrize("value", [0, "0s", -1.0])
def test_parse_duration_refuses_non_positive(value):
    with pytest.raises(SizeupError, match="positive"):
        parse_duration(value)


@pytest.mark.parametrize(("setting", "words"), [
    ("families = []", ("[search] families = []", "leave the key out")),  # not "every family"
    ('metric = "acc"', ("[search] metric = 'acc'", "accuracy", "perplexity")),  # the metrics there are
])
def test_search_settings_that_cannot_work_are_refused_at_load(tmp_path, setting, words):
    message = _error(_write(tmp_path, f'name = "t"\n[data]\nsource = "digits"\n[search]\n{setting}\n'))
    assert all(w in message for w in words), message


@pytest.mark.parametrize(("task", "metric", "choices"), [("classification", "rmse", "accuracy, macro_f1, loss"),
                                                         ("regression", "accuracy", "rmse, mae, loss"),
                                                         ("language-modeling", "macro_f1", "perplexity")])
def test_a_metric_of_another_task_is_refused_at_load(tmp_path, task, metric, choices):
    text = f'name = "t"\n[data]\nsource = "d"\ntask = "{task}"\n[search]\nmetric = "{metric}"\n'
    message = _error(_write(tmp_path, text))
    assert f"[search] metric = '{metric}' does not apply to [data] task = '{task}'" in message and choices in message


def test_every_metric_a_task_allows_loads(tmp_path):
    from sizeup.task import TASK_METRICS
    from sizeup.training.metrics import METRICS

    assert {m for ms in TASK_METRICS.values() for m in ms} == set(METRICS)  # the two tables name the same metrics
    for task, metrics in TASK_METRICS.items():
        for metric in metrics:
            raw = {"name": "t", "data": {"source": "d", "task": task}, "search": {"metric": metric}}
            assert Task.from_dict(raw).search.metric == metric


def test_a_problem_found_by_a_check_names_the_task_file(tmp_path):
    message = _error(_write(tmp_path, 'name = "t"\n[data]\nsource = "digits"\n[budget]\ntime = "soon"\n'))
    assert message.startswith(f"{tmp_path / 'task.toml'}: [budget] time 'soon'")
