"""Fixtures shared by the federated tests: digits, and one plain FedAvg run that several tests read."""

from __future__ import annotations

import json

import pytest
import torch

from sizeup.data import load_data
from sizeup.task import Task

from fed_helpers import local_config, spec, tiny_model


@pytest.fixture(scope="package")
def digits():
    return load_data(Task.from_dict({"name": "digits", "data": {"source": "digits"}}))


@pytest.fixture(scope="package")
def plain_run(digits):
    """FedAvg, IID, 4 clients, 2 per round, 4 rounds, seed 0: the model and its FitResult."""
    from sizeup.federated import fit_federated

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = tiny_model(digits)
        result = fit_federated(model, digits, local_config(), spec())
    finally:
        torch.set_num_threads(threads)
    return model, result


TASK = """name = "digits-federated"
[data]
source = "digits"
[train]
batch_size = 32
augment = false
[federated]
clients = 2
rounds = 2
fraction = 1.0
"""


@pytest.fixture(scope="package")
def cli_run(tmp_path_factory):
    """``sizeup train`` (a subprocess) on a federated task, then ``sizeup federated export --partitions``."""
    from fed_helpers import sizeup_cli

    root = tmp_path_factory.mktemp("federated-cli")
    (root / "task.toml").write_text(TASK, encoding="utf-8")
    train = sizeup_cli("train", "task.toml", "-f", "mlp", "--width", "16", "--depth", "1", "--out", "run", "--json",
                       cwd=root)
    assert train.returncode == 0, train.stderr
    export = sizeup_cli("federated", "export", "run", "--out", "app", "--partitions", "parts", "--json", cwd=root)
    assert export.returncode == 0, export.stderr
    return {"root": root, "train": json.loads(train.stdout), "export": json.loads(export.stdout)}
