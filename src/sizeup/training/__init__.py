"""Training: one loop for every family and task, configured by :class:`TrainConfig` and callbacks."""

from __future__ import annotations

from sizeup.training.callbacks import Callback, EarlyStopping
from sizeup.training.config import TrainConfig, default_config
from sizeup.training.evaluate import evaluate, predict
from sizeup.training.loop import FitResult, TrainingDiverged, fit
from sizeup.training.metrics import METRICS, higher_is_better
from sizeup.training.objectives import Objective
from sizeup.training.plugins import TrainingPlugin

__all__ = ["Callback", "EarlyStopping", "TrainConfig", "default_config", "evaluate", "predict", "fit",
           "FitResult", "TrainingDiverged", "METRICS", "higher_is_better", "Objective", "TrainingPlugin"]
