"""Spread a data set over simulated owners: IID, Dirichlet label skew, or K labels per client.

The schemes are NIID-Bench's (Li et al. 2022, "Federated Learning on Non-IID Data Silos: An Experimental Study",
arXiv:2102.02079, section III): ``dirichlet:ALPHA`` gives each class's rows to the clients in proportions drawn
from Dirichlet(ALPHA); ``labels:K`` gives client ``i`` the class ``i mod C`` and K-1 others at random, and the
rows of a class are split evenly among the clients that hold it. A share matrix (classes x clients) says what
fraction of each class goes where; the training and the test split are both cut by it, so each client's test
rows look like its training rows and the spread of quality across clients is measured on data of its kind.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from sizeup.data.bundle import DataBundle, DataInfo, Split
from sizeup.errors import SizeupError
from sizeup.task import FederatedSpec

__all__ = ["Partition", "partition_data", "class_shares", "split_by_shares", "client_bundle", "owner_bundle"]

MIN_ROWS = 10  # NIID-Bench redraws a Dirichlet split until every client has at least 10 training rows
_REDRAWS = 200
LOCAL_VAL_ROWS = 64  # local training needs a validation split; its score is not used, so a few rows do


@dataclass
class Partition:
    """Row indices of each client's share of the training and the test split (``classes``: what each client holds)."""

    scheme: str
    train: list[torch.Tensor]
    test: list[torch.Tensor]
    shares: np.ndarray | None  # classes x clients; None for unlabelled (IID over rows)

    @property
    def sizes(self) -> list[int]:
        return [len(t) for t in self.train]

    def classes(self) -> list[list[int]]:
        """The classes each client holds rows of."""
        if self.shares is None:
            return []
        return [np.flatnonzero(self.shares[:, i] > 0).tolist() for i in range(self.shares.shape[1])]


def partition_data(data: DataBundle, spec: FederatedSpec, *, seed: int) -> Partition:
    """Cut ``data.train`` and ``data.test`` over ``spec.clients`` owners by ``spec.partition``, deterministically."""
    rng = np.random.default_rng([seed, 20])
    clients, info = spec.clients, data.info
    if len(data.train) < clients:
        raise SizeupError(f"[federated] clients = {clients} is more than the {len(data.train)} training rows; "
                          "use fewer clients")
    if info.task != "classification":
        return Partition(spec.partition, _even(len(data.train), clients, rng), _even(len(data.test), clients, rng), None)
    y = data.train.y.numpy()
    shares = class_shares(y, info.n_outputs, clients, spec.partition_scheme, rng)
    train = split_by_shares(y, shares, rng)
    test = split_by_shares(data.test.y.numpy(), shares, rng)
    return Partition(spec.partition, train, test, shares)


def class_shares(y: np.ndarray, n_classes: int, clients: int, scheme: tuple[str, float | None],
                 rng: np.random.Generator) -> np.ndarray:
    """The fraction of each class's rows that each client gets (rows: classes, columns: clients; rows sum to 1)."""
    name, value = scheme
    if name == "iid":
        return np.full((n_classes, clients), 1.0 / clients)
    if name == "labels":
        return _label_shares(int(value), n_classes, clients, rng)
    counts = np.bincount(y, minlength=n_classes)
    for _ in range(_REDRAWS):
        shares = rng.dirichlet(np.full(clients, value), size=n_classes)
        if (_cut_sizes(counts, shares).sum(axis=0) >= MIN_ROWS).all():
            return shares
    raise SizeupError(f"[federated] partition = 'dirichlet:{value:g}' left a client with fewer than {MIN_ROWS} "
                      f"training rows in {_REDRAWS} draws; use a larger alpha or fewer clients")


def _label_shares(k: int, n_classes: int, clients: int, rng: np.random.Generator) -> np.ndarray:
    if k > n_classes:
        raise SizeupError(f"[federated] partition = 'labels:{k}' asks for {k} classes per client, but the data has "
                          f"{n_classes}; use labels:{n_classes} or fewer")
    held = np.zeros((n_classes, clients), dtype=bool)
    for i in range(clients):
        first = i % n_classes
        others = rng.choice([c for c in range(n_classes) if c != first], size=k - 1, replace=False)
        held[[first, *others], i] = True
    holders = held.sum(axis=1, keepdims=True)
    return np.where(held, 1.0 / np.maximum(holders, 1), 0.0)


def _cut_sizes(counts: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Rows of each class per client when class ``c``'s ``counts[c]`` rows are cut at the cumulative shares."""
    bounds = np.rint(np.cumsum(shares, axis=1) * counts[:, None]).astype(int)
    return np.diff(np.concatenate([np.zeros((len(counts), 1), dtype=int), bounds], axis=1), axis=1)


def split_by_shares(y: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> list[torch.Tensor]:
    """Each client's row indices: every class's rows shuffled, then cut at the cumulative shares."""
    counts = np.bincount(y, minlength=shares.shape[0])
    sizes = _cut_sizes(counts, shares)
    out: list[list[np.ndarray]] = [[] for _ in range(shares.shape[1])]
    for c in range(shares.shape[0]):
        rows = rng.permutation(np.flatnonzero(y == c))[: sizes[c].sum()]  # a class no client holds stays unused
        for i, piece in enumerate(np.split(rows, np.cumsum(sizes[c])[:-1])):
            out[i].append(piece)
    return [torch.as_tensor(np.sort(np.concatenate(p)), dtype=torch.long) for p in out]


def _even(n: int, clients: int, rng: np.random.Generator) -> list[torch.Tensor]:
    return [torch.as_tensor(np.sort(p), dtype=torch.long) for p in np.array_split(rng.permutation(n), clients)]


def owner_bundle(info: DataInfo, train: Split, test: Split) -> DataBundle:
    """What one owner holds: its training rows (a few of them double as the local validation split) and test rows."""
    val = Split(train.x[:LOCAL_VAL_ROWS], train.y[:LOCAL_VAL_ROWS])
    return DataBundle(dataclasses.replace(info, notes=dict(info.notes)), train, val, test)


def client_bundle(data: DataBundle, part: Partition, client: int) -> DataBundle:
    """Client ``client``'s share of ``data`` under ``part``."""
    return owner_bundle(data.info, data.train.subset(part.train[client]), data.test.subset(part.test[client]))
