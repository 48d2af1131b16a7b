"""A search under ``[federated]``: every candidate trains by federated averaging over the simulated clients, and its
row says how many rounds it ran and how many bytes crossed the network."""

from __future__ import annotations

import pytest

from sizeup.errors import SizeupError
from sizeup.selection import search
from sizeup.task import Task

from search_helpers import write_task


def _task(folder, extra: str = ""):
    return write_task(folder, name="fl", families=("mlp", "linear"),
                      extra=f"{extra}\n[federated]\nclients = 4\nrounds = 3\nfraction = 0.5")


def test_every_candidate_trains_federatedly_and_its_row_counts_rounds_and_bytes(tmp_path):
    result = search(_task(tmp_path), trials=2, out=tmp_path / "run", export=False)
    done = result.leaderboard[result.leaderboard["status"] == "completed"]
    assert len(done) == 2 and (done["rounds"] <= 3).all() and (done["rounds"] >= 1).all()
    # each round moves the model down to and back up from two of the four clients
    per_param_round = done["bytes_total"] / (done["rounds"] * done["params"])
    assert ((per_param_round > 15.9) & (per_param_round < 16.5)).all(), per_param_round.tolist()  # 2 clients x 2 ways x 4 B
    assert result.leaderboard["folds"].dropna().eq(1).all()  # one hold-out split: folds would be more federated runs


def test_federated_with_dp_sgd_or_k_folds_is_refused_with_the_alternative(tmp_path):
    with pytest.raises(SizeupError, match=r"\[privacy\] epsilon .* and \[federated\] cannot be combined.*dp_epsilon"):
        Task.from_dict({"name": "x", "data": {"source": "digits"}, "privacy": {"epsilon": 1.0}, "federated": {}})
    with pytest.raises(SizeupError, match=r"cannot be honoured: \[federated\]: k folds"):
        search(_task(tmp_path, 'validation = "kfold:3"'), trials=1, out=tmp_path / "run")
