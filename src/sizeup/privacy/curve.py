"""The privacy-utility curve: one model trained at several ε and without DP, so the cost of each budget is seen.

The model is a finished search's recommendation (``best/config.json``: its family, knobs and training settings)
or a family named outright. Every ε trains the family's private variant; two references train without DP: the
model itself, and (where it differs) its private variant, which separates what the architecture change costs
from what the noise costs.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sizeup._io import atomic_path, prepare_out_dir, read_json, write_json
from sizeup.data import DataBundle, load_data
from sizeup.errors import SizeupError
from sizeup.privacy.run import train_private
from sizeup.privacy.support import PRIVATE_KNOBS
from sizeup.task import PrivacySpec, Task
from sizeup.training.run import TrainResult, as_task, train
from sizeup.zoo import make_config
from sizeup.zoo._registry import split_name

__all__ = ["CurvePoint", "PrivacyCurve", "privacy_curve", "recommended_model", "CURVE_FILE", "PLOT_FILE"]

CURVE_FILE, PLOT_FILE = "privacy.json", "privacy.svg"
NO_DP, NO_DP_VARIANT = "no DP", "no DP, private variant"


@dataclass
class CurvePoint:
    """One training run: its budget (``None``: no DP), the ε it spent, and its quality."""

    label: str
    seed: int
    model: str
    epsilon_target: float | None
    epsilon: float | None
    test: float
    val: float
    train_seconds: float
    epochs: int
    privacy: dict[str, Any] | None = None  # the DP-SGD plugin's summary


@dataclass
class PrivacyCurve:
    """Quality against ε, with the non-private references; ``rows()`` gives the medians over seeds."""

    task: str
    metric: str
    family: str
    knobs: dict[str, Any]
    delta: float
    settings: dict[str, Any]
    points: list[CurvePoint] = field(default_factory=list)
    out_dir: Path | None = None

    def rows(self) -> list[dict[str, Any]]:
        """One row per budget (references first, then ε ascending): medians over the seeds."""
        groups: dict[str, list[CurvePoint]] = {}
        for p in self.points:
            groups.setdefault(p.label, []).append(p)
        ref = groups.get(NO_DP)
        ref_test = statistics.median(p.test for p in ref) if ref else None
        out = []
        for label, pts in groups.items():
            test = statistics.median(p.test for p in pts)
            spent = [p.epsilon for p in pts if p.epsilon is not None]
            out.append({"budget": label, "model": pts[0].model, "epsilon_target": pts[0].epsilon_target,
                        "epsilon_spent": max(spent) if spent else None, "seeds": len(pts),
                        f"test_{self.metric}": test, f"test_{self.metric}_min": min(p.test for p in pts),
                        f"test_{self.metric}_max": max(p.test for p in pts),
                        "of_non_private": test / ref_test if ref_test else None,
                        "accountant": pts[0].privacy["accountant"] if pts[0].privacy else None,
                        "noise_multiplier": pts[0].privacy["noise_multiplier"] if pts[0].privacy else None})
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "metric": self.metric, "family": self.family, "knobs": self.knobs,
                "delta": self.delta, "settings": self.settings, "rows": self.rows(),
                "points": [dataclasses.asdict(p) for p in self.points]}


def recommended_model(run: str | Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(family, knobs, training settings) of a finished search's recommendation (``<run>/best/config.json``)."""
    best = Path(run) / "best" / "config.json"
    if not best.is_file():
        raise SizeupError(f"{best} not found; give a finished search's run folder (e.g. runs/mnist1d) or --family")
    meta = read_json(best)
    settings = {k: v for k, v in (meta.get("train") or {}).items() if k in ("lr", "weight_decay")}
    return meta["family"], dict(meta["config"]), settings


def _point(label: str, seed: int, res: TrainResult, metric: str, target: float | None) -> CurvePoint:
    s = res.summary()
    privacy = s.get("privacy")
    return CurvePoint(label, seed, s["model"], target, privacy["epsilon"] if privacy else None, s[f"test_{metric}"],
                      s[f"val_{metric}"], s["train_seconds"], s["epochs"], privacy)


def privacy_curve(task: Task | str | Path, *, epsilons: list[float] | tuple[float, ...] = (1.0, 3.0, 8.0),
                  family: str | None = None, knobs: dict[str, Any] | None = None, run: str | Path | None = None,
                  seeds: list[int] | tuple[int, ...] = (0,), out: str | Path | None = None, force: bool = False,
                  data: DataBundle | None = None, progress: Callable[[CurvePoint], None] | None = None,
                  **settings: Any) -> PrivacyCurve:
    """Train the recommended model (``run``) or ``family`` at every ε in ``epsilons`` and without DP, per seed.

    Writes ``privacy.json`` and ``privacy.svg`` into ``out`` (default: ``run``, else ``runs/<task name>``) unless
    ``out=False``. ``settings`` are training settings (``epochs``, ``batch_size``, ``lr`` ...) for every run.
    """
    task = as_task(task)
    if (family is None) == (run is None):
        raise SizeupError("give either --family (a model family) or --run (a finished search's folder), not both or neither")
    if not epsilons or any(not e > 0 for e in epsilons):
        raise SizeupError(f"--epsilons must be positive numbers, e.g. 1,3,8; got {list(epsilons)!r}")
    fam, base_knobs, from_run = (family, dict(knobs or {}), {}) if run is None else recommended_model(run)
    base_knobs = dataclasses.asdict(make_config(fam, **base_knobs))  # bad knobs fail before anything trains
    variant = {**base_knobs, **PRIVATE_KNOBS.get(split_name(fam)[0], {})}
    settings = {**from_run, **settings}
    folder = None if out is False else Path(out or run or Path("runs") / task.name)
    if folder is not None:
        prepare_out_dir(folder, owned=(CURVE_FILE, PLOT_FILE), force=force)
    data = data or load_data(task)
    plain = task.model_copy(update={"privacy": PrivacySpec()})
    delta = task.privacy.delta
    curve = PrivacyCurve(task.name, task.search.metric or data.info.metric, fam, base_knobs, delta, settings, out_dir=folder)
    for seed in seeds:
        runs = [(NO_DP, None, base_knobs)] + ([(NO_DP_VARIANT, None, variant)] if variant != base_knobs else [])
        runs += [(f"ε = {e:g}", float(e), variant) for e in sorted(epsilons)]
        for label, eps, k in runs:
            common = dict(knobs=k, data=data, save=False, seed=seed, **settings)
            res = train(plain, fam, **common) if eps is None else train_private(task, fam, epsilon=eps, **common)
            point = _point(label, seed, res, curve.metric, eps)
            curve.points.append(point)
            if progress is not None:
                progress(point)
    if folder is not None:
        write_json(folder / CURVE_FILE, curve.to_dict())
        from sizeup.privacy._svg import curve_svg

        with atomic_path(folder / PLOT_FILE) as tmp:
            tmp.write_text(curve_svg(curve.to_dict()), encoding="utf-8")
    return curve
