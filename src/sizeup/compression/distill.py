"""Knowledge distillation (Hinton et al. 2015, arXiv:1503.02531): a smaller student learns from the
teacher's temperature-softened outputs, ``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE``.

Distillation is an objective handed to sizeup's one training loop (``sizeup.training.fit``): the schedule,
optimiser, augmentation, NaN check and early stopping are the loop's own.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from sizeup._methods import Method
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError
from sizeup.training.objectives import Objective

__all__ = ["build_student", "distill", "DistillationObjective"]

TEMPERATURE, ALPHA = 4.0, 0.7
_LOOP_OPTIONS = {"family", "preset", "epochs", "temperature", "alpha", "lr", "time"}


def build_student(teacher: nn.Module, info: Any, method: Method) -> nn.Module:
    """The student: ``family``/``preset``/knobs from the method on top of the teacher's config (same family)
    or the family's defaults; with no sizes given, the teacher's family at the widest width up to half the
    teacher's that has at most a quarter of its parameters."""
    from sizeup.measurement import count_params
    from sizeup.zoo import build

    family = method.options.get("family", teacher.spec.family)
    knobs = {k: v for k, v in method.options.items() if k not in _LOOP_OPTIONS}
    preset = method.options.get("preset")
    torch.manual_seed(0)
    if preset is not None or family != teacher.spec.family:
        return build(family, info, preset=preset if preset or knobs else "small", **knobs)
    base = {**dataclasses.asdict(teacher.spec.config), **knobs}
    if "width" in knobs:
        return build(family, info, **base)
    budget, heads = count_params(teacher) / 4, base.get("heads") or 1
    for width in range(max(heads, teacher.spec.config.width // 2), 0, -1):
        if width % heads == 0:
            student = build(family, info, **{**base, "width": width})
            if count_params(student) <= budget or width == heads:
                return student
    raise SizeupError(f"no student of {family} fits a quarter of the teacher's parameters; give family= and sizes")


class DistillationObjective:
    """``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * (the task's loss)``: an objective for :func:`fit`."""

    def __init__(self, teacher: nn.Module, task_objective: Objective, *, temperature: float, alpha: float) -> None:
        self.teacher, self.task, self.T, self.alpha = teacher.eval(), task_objective, temperature, alpha

    def __call__(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        hard, out = self.task(model, x, y, train=train)
        with torch.no_grad():
            soft = F.log_softmax(self.teacher(x) / self.T, dim=-1)
        kd = F.kl_div(F.log_softmax(out / self.T, dim=-1), soft, log_target=True, reduction="batchmean") * self.T**2
        return self.alpha * kd + (1 - self.alpha) * hard, out

    def evaluation(self) -> Objective:
        """Validation scores the student on the task alone."""
        return self.task

    def to(self, device: torch.device) -> DistillationObjective:
        """The teacher runs where the student trains."""
        self.teacher.to(device)
        self.task.to(device)
        return self


def distill(teacher: nn.Module, student: nn.Module, data: DataBundle, task: Any, method: Method) -> dict[str, Any]:
    """Train ``student`` with sizeup's one training loop on the teacher's soft targets plus the labels."""
    from sizeup.training import fit
    from sizeup.training.run import resolve_config

    info = data.info
    if info.task != "classification":
        raise SizeupError(f"distill supports classification tasks; this task is {info.task}")
    cfg = resolve_config(task, info, epochs=method.options.get("epochs"), lr=method.options.get("lr"),
                         max_seconds=method.options.get("time"))
    T, alpha = float(method.options.get("temperature", TEMPERATURE)), float(method.options.get("alpha", ALPHA))
    objective = DistillationObjective(teacher, Objective(info.task), temperature=T, alpha=alpha)
    result = fit(student, data, cfg, metric=task.search.metric or info.metric, objective=objective)
    return {"student": student.spec.describe(), "distill_epochs": result.epochs, "temperature": T, "alpha": alpha,
            "distill_seconds": result.train_seconds, "val": result.best_val}
