"""The [federated] task section: defaults, and every mistake as one line naming the key and the fix."""

from __future__ import annotations

import pytest

from sizeup.errors import SizeupError
from sizeup.task import Task


def _task(federated: dict, data_task: str = "classification") -> Task:
    return Task.from_dict({"name": "t", "data": {"source": "digits", "task": data_task}, "federated": federated})


def _error(federated: dict, **kw) -> str:
    with pytest.raises(SizeupError) as exc:
        _task(federated, **kw)
    message = str(exc.value)
    assert "\n" not in message, message
    return message


def test_a_federated_section_loads_with_its_defaults_and_parsed_schemes():
    spec = _task({"partition": "dirichlet:0.5", "strategy": "fedprox:0.01"}).federated
    assert (spec.clients, spec.rounds, spec.fraction, spec.local_epochs) == (10, 50, 0.5, 1)
    assert spec.partition_scheme == ("dirichlet", 0.5) and spec.proximal_mu == 0.01
    assert _task({"partition": "labels:2"}).federated.partition_scheme == ("labels", 2.0)
    assert _task({}).federated.proximal_mu == 0.0 and not _task({}).federated.private
    assert Task.from_dict({"name": "t", "data": {"source": "digits"}}).federated is None


@pytest.mark.parametrize("value", ["dirichlet", "dirichlet:-1", "labels:0", "labels:2.5", "shards:3"])
def test_a_bad_partition_names_the_key_the_value_and_the_forms(value):
    message = _error({"partition": value})
    assert "[federated] partition" in message and repr(value) in message
    assert "'iid'" in message and "dirichlet:<number>" in message and "labels:<integer>" in message


@pytest.mark.parametrize("value", ["fedprox", "fedprox:x", "scaffold"])
def test_a_bad_strategy_names_the_key_and_the_forms(value):
    message = _error({"strategy": value})
    assert "[federated] strategy" in message and "'fedavg'" in message and "fedprox:<number>" in message


@pytest.mark.parametrize("federated, words", [
    ({"clients": 1}, ["[federated] clients", "greater than or equal to 2"]),
    ({"fraction": 0}, ["[federated] fraction"]),
    ({"rounds": 0}, ["[federated] rounds"]),
    ({"cohort": 3}, ["unknown key [federated] cohort"]),
    ({"dp_noise": 1.0, "dp_epsilon": 2.0, "dp_clip": 1.0}, ["dp_noise = 1.0 and dp_epsilon = 2.0", "not both"]),
    ({"dp_epsilon": 2.0}, ["dp_clip is missing", "add dp_clip = 1.0"]),
])
def test_contradictory_or_out_of_range_settings_are_one_line(federated, words):
    message = _error(federated)
    for w in words:
        assert w in message, message


def test_a_class_based_partition_of_a_regression_task_is_refused():
    message = _error({"partition": "labels:2"}, data_task="regression")
    assert "partition = 'labels:2'" in message and "regression" in message and 'partition = "iid"' in message
