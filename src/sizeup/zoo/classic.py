"""Classic models on tabular data, so the leaderboard shows when a neural network does not pay: ``ridge``
(L2-regularised logistic regression for classes, ridge regression for targets), ``hgb`` (scikit-learn's histogram
gradient-boosted trees) and ``forest`` (a random forest), each with a small search space of its own.

A classic model is fitted in one call (``sizeup.training.fit`` sees :attr:`ClassicModel.fits_in_one_call`), then
converted to ONNX with ``skl2onnx`` and run by onnxruntime from then on: it is tested, timed and saved through the
same paths as every other candidate, and its saved form (``model.onnx``) runs no code on load. A classifier's graph
ends in log-probabilities, the outputs the training objective and the metrics read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError
from sizeup.zoo._registry import register

__all__ = ["ClassicModel", "RidgeConfig", "BoostingConfig", "ForestConfig"]

OPSET = {"": 17, "ai.onnx.ml": 3}
MIN_PROBABILITY = 1e-7  # log(0) would make the validation loss infinite for one confident mistake


@dataclass
class RidgeConfig:
    alpha: float = 1.0  # L2 strength (logistic regression: C = 1 / alpha)

    def validate(self) -> str | None:
        return None if self.alpha > 0 else f"alpha must be positive, got {self.alpha!r}"


@dataclass
class BoostingConfig:
    trees: int = 100  # boosting iterations
    rate: float = 0.1  # learning rate (shrinkage)
    leaves: int = 31  # leaves per tree
    min_leaf: int = 20
    l2: float = 0.0

    def validate(self) -> str | None:
        if self.trees < 1 or self.leaves < 2 or self.min_leaf < 1 or not 0 < self.rate <= 1 or self.l2 < 0:
            return "trees >= 1, leaves >= 2, min_leaf >= 1, 0 < rate <= 1 and l2 >= 0 are required"
        return None


@dataclass
class ForestConfig:
    trees: int = 100
    depth: int | None = None  # None: grow until the leaves are pure
    min_leaf: int = 1
    features: Any = "sqrt"  # features tried per split: "sqrt", "log2" or a fraction

    def validate(self) -> str | None:
        if self.trees < 1 or self.min_leaf < 1 or (self.depth is not None and self.depth < 1):
            return "trees >= 1, min_leaf >= 1 and depth >= 1 (or None) are required"
        return None


class ClassicModel(nn.Module):
    """A scikit-learn estimator behind the ``nn.Module`` contract: fitted by :meth:`fit_estimator`, run in onnxruntime."""

    fits_in_one_call = True

    def __init__(self, estimator: Any, info: DataInfo, flops: int) -> None:
        super().__init__()
        self.estimator, self.info, self.flops_per_sample = estimator, info, flops
        self._onnx: bytes | None = None
        self._session = None

    def fit_estimator(self, x: torch.Tensor, y: torch.Tensor, *, seed: int) -> None:
        """Fit on ``(x, y)`` and convert the fitted estimator to the ONNX graph the model then runs."""
        if hasattr(self.estimator, "random_state"):
            self.estimator.set_params(random_state=seed)
        from threadpoolctl import threadpool_limits

        features = x.reshape(len(x), -1).numpy().astype(np.float32)
        # One thread: scikit-learn's OpenMP threads wait on busy cores (a 100-iteration boosting fit of 210 rows took
        # 100 s with 2 threads and 2.8 s with 1, on 2 cores that other work kept busy); the data here are small.
        with threadpool_limits(1):
            self.estimator.fit(features, y.numpy())
        if self.info.task == "classification":
            present = list(self.estimator.classes_)
            if present != list(range(self.info.n_outputs)):
                raise SizeupError(f"data {self.info.name!r}: the training rows hold classes {present} of "
                                  f"{self.info.n_outputs}; every class needs training rows (add rows or merge rare classes)")
        self._onnx = _to_onnx(self.estimator, features[:1], self.info.task)
        self._session = None

    @property
    def n_parameters(self) -> int:
        """Learned numbers: coefficients and intercepts, or one threshold (or leaf value) per tree node."""
        est = self.estimator
        if hasattr(est, "coef_"):
            return int(np.size(est.coef_) + np.size(est.intercept_))
        if hasattr(est, "estimators_"):
            return int(sum(t.tree_.node_count for t in np.ravel(est.estimators_)))
        if hasattr(est, "_predictors"):
            return int(sum(p.nodes.shape[0] for it in est._predictors for p in it))
        return 0

    def onnx_bytes(self) -> bytes:
        if self._onnx is None:
            raise SizeupError("a classic model must be fitted before it is saved")
        return self._onnx

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._onnx is None:
            raise SizeupError("a classic model runs only after it is fitted (sizeup.training.fit fits it)")
        if self._session is None:
            from sizeup.export import onnx_session

            self._session = onnx_session(self._onnx)
        out = self._session.run(None, {"X": x.reshape(len(x), -1).detach().cpu().numpy().astype(np.float32)})[0]
        return torch.from_numpy(out)


def _to_onnx(estimator: Any, sample: np.ndarray, task: str) -> bytes:
    """The fitted estimator as one ONNX graph with one output: log-probabilities (classes) or predictions."""
    skl2onnx = optional_import("skl2onnx", extra="classic", feature="classic models (ridge, hgb, forest)")
    onnx = optional_import("onnx", extra="onnx", feature="classic models (ridge, hgb, forest)")
    from onnx import helper

    options = {id(estimator): {"zipmap": False}} if task == "classification" else None
    model = skl2onnx.to_onnx(estimator, sample, options=options, target_opset=OPSET)
    graph = model.graph
    if task == "classification":  # keep only the probabilities, as their (clipped) logarithm
        probs = next(o for o in graph.output if o.name == "probabilities")
        floor = helper.make_tensor("min_probability", onnx.TensorProto.FLOAT, [], [MIN_PROBABILITY])
        graph.initializer.append(floor)
        graph.node.extend([helper.make_node("Max", ["probabilities", "min_probability"], ["clipped"]),
                           helper.make_node("Log", ["clipped"], ["output"])])
        out = helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, None)
        out.type.CopyFrom(probs.type)
    else:
        out = graph.output[0]
        graph.node.extend([helper.make_node("Identity", [out.name], ["output"])])
        out = helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, None)
        out.type.CopyFrom(graph.output[0].type)
    del graph.output[:]
    graph.output.append(out)
    return model.SerializeToString()


def _features(info: DataInfo) -> int:
    return math.prod(info.input_shape)


def _regression(info: DataInfo) -> bool:
    return info.task == "regression"


@register("ridge", config=RidgeConfig, inputs={"tabular"}, presets={"base": {}},
          description="L2-regularised linear model: logistic regression (classes), ridge regression (targets)",
          space={"alpha": ("log", (1e-4, 1e2))}, lr_range=None)
def build_ridge(cfg: RidgeConfig, info: DataInfo) -> nn.Module:
    from sklearn import linear_model as lm

    est = lm.Ridge(alpha=cfg.alpha) if _regression(info) else lm.LogisticRegression(C=1 / cfg.alpha, max_iter=2000)
    return ClassicModel(est, info, flops=2 * _features(info) * max(1, info.n_outputs))


@register("hgb", config=BoostingConfig, inputs={"tabular"},
          presets={"tiny": {"trees": 25, "leaves": 8}, "small": {"trees": 50, "leaves": 15}, "base": {},
                   "large": {"trees": 400, "leaves": 63}},
          description="gradient-boosted trees on histograms (scikit-learn HistGradientBoosting)",
          space={"trees": ("cat", [50, 100, 200, 400]), "rate": ("log", (0.02, 0.3)), "leaves": ("cat", [8, 15, 31, 63]),
                 "min_leaf": ("cat", [5, 10, 20, 40]), "l2": ("cat", [0.0, 0.1, 1.0])}, lr_range=None)
def build_hgb(cfg: BoostingConfig, info: DataInfo) -> nn.Module:
    from sklearn import ensemble as ens

    if _regression(info) and info.n_outputs > 1:
        raise SizeupError(f"family 'hgb' predicts one target; data {info.name!r} has {info.n_outputs} (use ridge or forest)")
    kind = ens.HistGradientBoostingRegressor if _regression(info) else ens.HistGradientBoostingClassifier
    est = kind(max_iter=cfg.trees, learning_rate=cfg.rate, max_leaf_nodes=cfg.leaves, min_samples_leaf=cfg.min_leaf,
               l2_regularization=cfg.l2, early_stopping=False)
    classes = 1 if _regression(info) or info.n_outputs == 2 else info.n_outputs
    return ClassicModel(est, info, flops=cfg.trees * classes * math.ceil(math.log2(cfg.leaves)))


@register("forest", config=ForestConfig, inputs={"tabular"},
          presets={"tiny": {"trees": 25, "depth": 6}, "small": {"trees": 50, "depth": 10}, "base": {},
                   "large": {"trees": 400}},
          description="random forest (scikit-learn)",
          space={"trees": ("cat", [50, 100, 200]), "depth": ("cat", [4, 8, 16, None]), "min_leaf": ("cat", [1, 2, 5, 10]),
                 "features": ("cat", ["sqrt", 0.5, 1.0])}, lr_range=None)
def build_forest(cfg: ForestConfig, info: DataInfo) -> nn.Module:
    from sklearn import ensemble as ens

    kind = ens.RandomForestRegressor if _regression(info) else ens.RandomForestClassifier
    est = kind(n_estimators=cfg.trees, max_depth=cfg.depth, min_samples_leaf=cfg.min_leaf, max_features=cfg.features,
               n_jobs=1)
    return ClassicModel(est, info, flops=cfg.trees * (cfg.depth or 16))
