"""Fixtures shared by the federated tests: digits, and one plain FedAvg run that several tests read."""

from __future__ import annotations

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
