"""Data-parallel training of one candidate: a ``TrainingPlugin`` that runs sizeup's one loop on N ranks.

Every rank draws the same shuffled order (the loop seeds it), takes its contiguous share of each global
batch, and DistributedDataParallel sums the gradients across ranks. The sum is weighted by each rank's
share of the batch, so the step is the one a single process takes on the whole global batch, even when the
last batch does not split evenly: with no dropout and no augmentation (whose random draws differ per rank)
N ranks at global batch B reach the weights one process reaches at batch B, to rounding.
Gloo carries the gradients between CPU processes, NCCL between GPUs.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from sizeup.training.plugins import TrainingPlugin

__all__ = ["DataParallel", "init_process_group", "rank", "world_size"]


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def init_process_group(device: str = "cpu") -> str:
    """Join the process group that ``torchrun`` describes in the environment; returns the backend used."""
    backend = "nccl" if device == "cuda" else "gloo"
    if not dist.is_initialized():
        if device == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group(backend=backend)
    return backend


class _OutputsOnCPU(nn.Module):
    """Runs the DDP module on its GPU and hands outputs back on the CPU, where the loop keeps the data."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return self.module(*args).cpu()


def _weighted_allreduce(plugin, bucket):  # unannotated: DDP rejects the string annotations of this module
    """Each rank's gradient is the mean over its share; weighting by share/global and summing gives the
    global-batch mean exactly (DDP's default divides by the world size, right only for equal shares)."""
    grad = bucket.buffer().mul_(plugin.share)
    return dist.all_reduce(grad, async_op=True).get_future().then(lambda fut: fut.value()[0])


class DataParallel(TrainingPlugin):
    """DistributedDataParallel on the process group this process joined (``init_process_group``).

    The training loop must not stop ranks at different steps, so a time limit (``max_seconds``) is refused by
    the launcher; epochs, early stopping and the schedule depend only on figures every rank shares.
    """

    def __init__(self, *, device: str = "cpu") -> None:
        self.device = device
        self.share = 1.0
        self._shares: deque[float] = deque()  # the shares of the batches handed out, in the order they are trained

    def setup(self, model: nn.Module, optimizer: torch.optim.Optimizer, *, n_train: int, batch_size: int,
              epochs: int, generator: torch.Generator) -> tuple[nn.Module, torch.optim.Optimizer]:
        model, optimizer = super().setup(model, optimizer, n_train=n_train, batch_size=batch_size, epochs=epochs,
                                         generator=generator)
        self.rank, self.world, self.module = rank(), world_size(), model
        if self.device == "cuda":
            local = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            model.to(local)  # in place: the optimizer's parameters are these tensors
            ddp = nn.parallel.DistributedDataParallel(model, device_ids=[local.index])
        else:
            ddp = nn.parallel.DistributedDataParallel(model)
        ddp.register_comm_hook(self, _weighted_allreduce)
        ddp.register_forward_pre_hook(self._next_share)
        return (_OutputsOnCPU(ddp) if self.device == "cuda" else ddp), optimizer

    def _global_batches(self) -> int:
        # a last batch with fewer rows than ranks would leave a rank with none: every rank drops it
        full, rest = divmod(self.n_train, self.batch_size)
        return full + (1 if rest >= self.world else 0)

    def steps_per_epoch(self) -> int:
        return self._global_batches()

    def batches(self, epoch: int) -> Iterator[torch.Tensor]:
        order = torch.randperm(self.n_train, generator=self.generator)
        for idx in order.split(self.batch_size)[: self._global_batches()]:
            mine = idx.tensor_split(self.world)[self.rank]
            self._shares.append(len(mine) / len(idx))
            yield mine

    def _next_share(self, module: nn.Module, _args: tuple) -> None:
        """A training forward starts the next batch's step: its gradient is weighted by that batch's share (the
        loop may draw an epoch's batches ahead of training them, to copy their indices to the device at once)."""
        if module.training and self._shares:
            self.share = self._shares.popleft()

    def summary(self) -> dict[str, Any]:
        return {"data_parallel": {"world_size": self.world, "backend": dist.get_backend(), "device": self.device}}
