"""Spreading the rows over owners: IID, Dirichlet label skew, K labels each; reproducible, and test rows alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sizeup.errors import SizeupError
from sizeup.federated import partition_data
from sizeup.federated.partition import MIN_ROWS

from fed_helpers import spec


def _classes(data, rows: torch.Tensor) -> set[int]:
    return set(data.train.y[rows].tolist())


def test_every_training_row_goes_to_exactly_one_client_under_iid_and_dirichlet(digits):
    for partition in ("iid", "dirichlet:0.5"):
        part = partition_data(digits, spec(clients=5, partition=partition), seed=0)
        rows = torch.cat(part.train)
        assert len(rows) == len(digits.train) and len(set(rows.tolist())) == len(digits.train), partition


def test_iid_gives_every_client_an_even_share_of_every_class(digits):
    part = partition_data(digits, spec(clients=4), seed=0)
    counts = np.array([np.bincount(digits.train.y[r].numpy(), minlength=10) for r in part.train])
    overall = np.bincount(digits.train.y.numpy(), minlength=10)
    assert (np.abs(counts - overall / 4) <= 1).all()


def test_dirichlet_skews_the_classes_but_keeps_every_client_at_the_minimum_rows(digits):
    part = partition_data(digits, spec(clients=10, partition="dirichlet:0.1"), seed=0)
    assert min(part.sizes) >= MIN_ROWS
    shares = np.array([np.bincount(digits.train.y[r].numpy(), minlength=10) / len(r) for r in part.train])
    assert shares.max(axis=1).mean() > 0.4  # a strongly skewed split: each client is dominated by few classes


@pytest.mark.parametrize("k", [1, 2])
def test_labels_k_gives_each_client_k_classes_split_evenly_among_their_holders(digits, k):
    part = partition_data(digits, spec(clients=10, partition=f"labels:{k}"), seed=0)
    held = [_classes(digits, r) for r in part.train]
    assert all(len(h) == k for h in held) and held == [set(c) for c in part.classes()]
    if k == 1:
        assert held == [{i} for i in range(10)]  # client i holds class i (NIID-Bench's #C=1)
    for c in range(10):
        holders = [i for i, h in enumerate(held) if c in h]
        sizes = [int((digits.train.y[part.train[i]] == c).sum()) for i in holders]
        assert max(sizes) - min(sizes) <= 1 if sizes else True


def test_each_clients_test_rows_come_from_the_classes_it_trains_on(digits):
    part = partition_data(digits, spec(clients=10, partition="labels:2"), seed=0)
    for train, test in zip(part.train, part.test):
        assert set(digits.test.y[test].tolist()) <= _classes(digits, train)


def test_the_partition_is_reproducible_for_a_seed_and_changes_with_it(digits):
    s = spec(clients=6, partition="dirichlet:0.5")
    a, b, c = (partition_data(digits, s, seed=seed) for seed in (3, 3, 4))
    assert all(torch.equal(x, y) for x, y in zip(a.train, b.train))
    assert not all(torch.equal(x, y) for x, y in zip(a.train, c.train))


def test_more_labels_per_client_than_classes_is_refused_with_the_fix(digits):
    with pytest.raises(SizeupError, match=r"labels:11.*has 10; use labels:10 or fewer"):
        partition_data(digits, spec(partition="labels:11"), seed=0)
