"""Federated learning: train a candidate where its data lives, and size it for that.

:func:`fit_federated` is the one door (``fit``'s signature plus the task's ``[federated]`` section, ``fit``'s result):
FedAvg or FedProx over simulated owners whose rows are spread IID, by Dirichlet label skew or K labels each;
optional client-level differential privacy (DP-FedAvg with RDP accounting) and secure aggregation (pairwise
masks over fixed-point updates). :func:`export_app` writes the same training as a Flower app, and
:func:`run_locally` runs that app on this machine with a SuperLink and one SuperNode per client.
"""

from __future__ import annotations

from sizeup.federated.export import export_app
from sizeup.federated.localrun import run_locally
from sizeup.federated.partition import Partition, partition_data
from sizeup.federated.rounds import fit_federated
from sizeup.federated.strategy import ProximalObjective

__all__ = ["fit_federated", "partition_data", "Partition", "ProximalObjective", "export_app", "run_locally"]

