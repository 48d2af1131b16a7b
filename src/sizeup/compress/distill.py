"""Knowledge distillation (Hinton et al. 2015, arXiv:1503.02531): a smaller student learns from the
teacher's temperature-softened outputs, ``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE``.

The loop is sizeup's schedule, optimiser, augmentation and early stopping with this one loss; the
training loop proper (``sizeup.training.fit``) has no hook for a loss that needs the teacher.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from sizeup.compress.methods import Method
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError
from sizeup.training.augment import augmenter_for
from sizeup.training.callbacks import EarlyStopping
from sizeup.training.evaluate import evaluate
from sizeup.training.metrics import higher_is_better
from sizeup.training.objectives import Objective
from sizeup.training.optim import lr_at, make_optimizer

__all__ = ["build_student", "distill"]

TEMPERATURE, ALPHA = 4.0, 0.7
_LOOP_OPTIONS = {"family", "preset", "epochs", "temperature", "alpha", "lr", "time"}


def build_student(teacher: nn.Module, info: Any, method: Method) -> nn.Module:
    """The student: ``family``/``preset``/knobs from the method on top of the teacher's config (same family)
    or the family's defaults; with no sizes given, the teacher's family at the widest width up to half the
    teacher's that has at most a quarter of its parameters."""
    from sizeup.measure import count_params
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


def distill(teacher: nn.Module, student: nn.Module, data: DataBundle, task: Any, method: Method) -> dict[str, Any]:
    """Train ``student`` on the teacher's soft targets plus the labels; keep its best validation epoch."""
    from sizeup.training.run import resolve_config

    info = data.info
    if info.task != "classification":
        raise SizeupError(f"distill supports classification tasks; this task is {info.task}")
    cfg = resolve_config(task, info, epochs=method.options.get("epochs"), lr=method.options.get("lr"),
                         max_seconds=method.options.get("time"))
    T, alpha = float(method.options.get("temperature", TEMPERATURE)), float(method.options.get("alpha", ALPHA))
    metric = task.search.metric or info.metric
    objective = Objective(info.task)
    optimizer = make_optimizer(student, cfg)
    augment = augmenter_for(info.input_kind, info.input_shape, cfg.seed) if cfg.augment else None
    stopper = EarlyStopping(student, metric, higher_is_better=higher_is_better(metric), patience=cfg.patience)
    stopper.on_train_begin({})
    teacher.eval()
    n, steps_per_epoch = len(data.train), math.ceil(len(data.train) / cfg.batch_size)
    generator, step, start = torch.Generator().manual_seed(cfg.seed), 0, time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        student.train()
        for idx in torch.randperm(n, generator=generator).split(cfg.batch_size):
            elapsed = time.perf_counter() - start
            progress = max(step / (cfg.epochs * steps_per_epoch), elapsed / cfg.max_seconds if cfg.max_seconds else 0.0)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(min(progress, 1.0), cfg)
            x, y = data.train.x[idx], data.train.y[idx]
            x = augment(x) if augment is not None else x
            with torch.no_grad():
                soft = F.log_softmax(teacher(x) / T, dim=-1)
            out = student(x)
            kd = F.kl_div(F.log_softmax(out / T, dim=-1), soft, log_target=True, reduction="batchmean") * T * T
            loss = alpha * kd + (1 - alpha) * F.cross_entropy(out, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.clip_grad:
                nn.utils.clip_grad_norm_(student.parameters(), cfg.clip_grad)
            optimizer.step()
            step += 1
        val = evaluate(student, data.val, objective, n_classes=info.n_outputs)
        stopper.on_epoch_end({"epoch": epoch, **{f"val_{k}": v for k, v in val.items()}})
        if stopper.stop_training or (cfg.max_seconds and time.perf_counter() - start >= cfg.max_seconds):
            break
    stopper.on_train_end({})
    return {"student": student.spec.describe(), "distill_epochs": epoch, "temperature": T, "alpha": alpha,
            "distill_seconds": time.perf_counter() - start, "val": stopper.best}
