"""The ``scale`` verb: train a family at geometrically spaced sizes, fit how quality grows, forecast and price
larger sizes, and say whether going bigger pays."""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from sizeup.data.bundle import DataBundle, DataInfo
from sizeup.errors import SizeupError
from sizeup.scaling._costs import SizeCost, SizeProfile, calibrate, price, profile_size, steps_per_run
from sizeup.scaling._family import MULTIPLES, FamilyFit, fit_family
from sizeup.scaling._powerlaw import MIN_SIZES
from sizeup.scaling._quality import Quality
from sizeup.scaling._runs import SizeRun, recipe_for, size_label, train_size
from sizeup.scaling._sizes import knobs_for_params, ladder, start_knobs
from sizeup.scaling._verdict import compact, verdict
from sizeup.task import Task
from sizeup.training.config import TrainConfig

__all__ = ["scale", "ScaleResult", "SCALING", "Pricing"]

SCALING = "scaling.json"


@dataclass
class ScaleResult:
    """Every run, the fitted curve with its forecasts, every size priced, and the verdict."""

    task: str
    family: str
    knob: str
    hardware: str
    recipe: TrainConfig
    start: dict[str, Any]
    runs: list[SizeRun]
    sizes: list[SizeCost]  # the trained sizes, smallest first, with measured times
    fit: FamilyFit
    verdict: str
    out_dir: Path | None = None

    @property
    def forecasts(self):
        return self.fit.forecasts

    def to_dict(self) -> dict[str, Any]:
        """The ``scaling.json`` payload (also what ``sizeup scale --json`` prints)."""
        from sizeup._io import to_jsonable

        q = self.fit.quality
        return {"kind": "scale", "task": self.task, "family": self.family, "knob": self.knob, "metric": q.metric,
                "higher_is_better": q.higher_is_better, "unit": q.unit, "level": self.fit.level,
                "hardware": self.hardware, "recipe": dataclasses.asdict(self.recipe), "start": self.start,
                "seeds": sorted({r.seed for r in self.runs}), "runs": to_jsonable(self.runs),
                "sizes": to_jsonable(self.sizes), "families": {self.family: self.fit.to_dict()},
                "verdict": self.verdict, "out_dir": str(self.out_dir) if self.out_dir else None}


@dataclass
class Pricing:
    """How sizes are priced: the GPU, its price, the local price (if any) and the training shape."""

    hardware: str
    usd_per_hour: float
    usd_per_hour_here: float | None
    batch_size: int
    serve_batch: int
    samples_seen: float  # training samples per run (train split × epochs)
    steps: int


def _measured(runs: Sequence[SizeRun]) -> dict[str, float]:
    """The median over seeds of one size's measured figures, in the calibration's units. Latency is calibrated on
    the fastest call (the model's own cost) and its median on top of that kept as a ratio (the machine's)."""
    med = statistics.median
    return {"latency_s": med(r.latency_ms for r in runs) / 1e3, "fastest_s": med(r.latency_min_ms for r in runs) / 1e3,
            "spread": med(r.latency_ms / r.latency_min_ms for r in runs),
            "batch_s": med(r.throughput_batch / r.throughput for r in runs),
            "train_s": med(r.train_seconds for r in runs), "memory_mb": med(r.memory_mb for r in runs)}


def _price_sizes(family: str, info: DataInfo, ladder_knobs: Sequence[dict[str, Any]], runs: Sequence[SizeRun],
                 pricing: Pricing) -> tuple[list[SizeCost], Callable[[dict[str, Any]], tuple[SizeCost, SizeProfile]]]:
    """Price the trained sizes (measured times) and return a function that prices any other size."""
    def profile(knobs: dict[str, Any]) -> SizeProfile:
        return profile_size(family, info, knobs, batch_size=pricing.batch_size, hardware=pricing.hardware,
                            serve_batch=pricing.serve_batch)

    profiles = [profile(k) for k in ladder_knobs]
    measured = [_measured([r for r in runs if r.size == i]) for i in range(len(ladder_knobs))]
    cal = calibrate(profiles, measured, steps=pricing.steps)
    common = dict(samples_seen=pricing.samples_seen, usd_per_hour=pricing.usd_per_hour,
                  usd_per_hour_here=pricing.usd_per_hour_here)
    trained = [price(p, cal, measured=m, **common) for p, m in zip(profiles, measured)]

    def price_other(knobs: dict[str, Any]) -> tuple[SizeCost, SizeProfile]:
        p = profile(knobs)
        return price(p, cal, **common), p

    return trained, price_other


def _points(runs: Sequence[SizeRun], sizes: Sequence[SizeCost], knob: str) -> list[dict[str, Any]]:
    return [{"params": r.params, "train_flops": sizes[r.size].train_flops, "value": r.value, "seed": r.seed,
             "size": r.size, "label": size_label(r.knobs, knob)} for r in runs]


def assemble(family: str, info: DataInfo, *, knob: str, start: dict[str, Any], ladder_knobs: Sequence[dict[str, Any]],
             runs: Sequence[SizeRun], metric: str, pricing: Pricing, multiples: Sequence[float] = MULTIPLES,
             level: float = 0.9, bootstrap: int = 500, seed: int = 0) -> tuple[list[SizeCost], FamilyFit, str]:
    """Fit the runs, forecast and price ``multiples``× the largest size, and write the verdict."""
    sizes, price_other = _price_sizes(family, info, ladder_knobs, runs, pricing)
    fit = fit_family(family, Quality.of(metric), _points(runs, sizes, knob), level=level, bootstrap=bootstrap, seed=seed)
    largest = sizes[-1]
    modelled, _ = price_other(ladder_knobs[-1])  # the largest size's latency as the calibration has it: like for like
    for m in multiples:
        knobs = knobs_for_params(family, info, knob=knob, start=start, target=m * largest.params)
        cost, _ = price_other(knobs)
        f = fit.forecast(cost.params, train_flops=cost.train_flops, multiple=m)
        f.knobs, f.cost, f.latency_ratio = knobs, cost, cost.latency_ms / modelled.latency_ms
        fit.forecasts.append(f)
    pick = min(fit.forecasts, key=lambda f: abs(f.multiple - 4.0)) if fit.forecasts else None
    subject = (f"{pick.multiple:g}× bigger ({compact(pick.params)} parameters, {size_label(pick.knobs, knob)})"
               if pick else None)
    fit.sentence = verdict(fit, subject=subject)
    return sizes, fit, fit.sentence


def scale(task: Task | str | Path, *, family: str, knob: str = "width", sizes: int = 5, seeds: int = 2,
          knobs: dict[str, Any] | None = None, step: float = 2.0, hardware: str = "h100",
          multiples: Sequence[float] = MULTIPLES, level: float = 0.9, bootstrap: int = 500,
          usd_per_hour: float | None = None, usd_per_hour_here: float | None = None, data: DataBundle | None = None,
          out: str | Path | None = None, force: bool = False, save: bool = True,
          on_run: Callable[[SizeRun], None] | None = None, **overrides: Any) -> ScaleResult:
    """Train ``family`` at ``sizes`` sizes about ``step``× parameters apart (``knob``: width, depth or both),
    ``seeds`` runs each with one recipe; fit test error = E + A·N^−α against parameters and training compute;
    forecast and price ``multiples``× the largest size on this machine and on ``hardware``.

    ``knobs`` sets the smallest size and the knobs that stay fixed (default: the family's ``tiny`` preset);
    ``overrides`` are training settings (``epochs``, ``lr`` ...), the same for every size. Runs are saved under
    ``out`` (default ``runs/<task>/scale-<family>``) with ``scaling.json``; a finished run is reused.
    """
    from sizeup._io import prepare_out_dir, write_json
    from sizeup.data import load_data
    from sizeup.estimation import get_hardware
    from sizeup.training.run import as_task

    if seeds < 1:
        raise SizeupError(f"--seeds must be at least 1, got {seeds}")
    if sizes < MIN_SIZES:
        raise SizeupError(f"--sizes {sizes} is too few: fitting E, A and alpha needs at least {MIN_SIZES} sizes")
    start = start_knobs(family, knob, knobs)
    hw = get_hardware(hardware, usd_per_hour=usd_per_hour)  # bad input fails before data is loaded or anything trains
    task = as_task(task)
    data = data or load_data(task)
    metric = task.search.metric or data.info.metric
    recipe = recipe_for(task, data.info, **overrides)
    ladder_knobs = ladder(family, data.info, knob=knob, start=start, sizes=sizes, step=step)
    out_dir = Path(out) if out else Path("runs") / task.name / f"scale-{family}"
    if save:
        prepare_out_dir(out_dir, owned=(SCALING,), force=force)
    runs: list[SizeRun] = []
    for i, k in enumerate(ladder_knobs):
        folder = out_dir / "sizes" / f"{i}-{size_label(k, knob).replace('=', '').replace(',', '-')}" if save else None
        runs += train_size(task, data, family, k, size=i, seeds=range(recipe.seed, recipe.seed + seeds), recipe=recipe,
                           metric=metric, folder=folder, force=force, on_run=on_run)
    pricing = Pricing(hardware=hw.name, usd_per_hour=hw.usd_per_hour, usd_per_hour_here=usd_per_hour_here,
                      batch_size=recipe.batch_size, serve_batch=min(256, len(data.test)),
                      samples_seen=len(data.train) * recipe.epochs,
                      steps=steps_per_run(len(data.train), recipe.batch_size, recipe.epochs))
    priced, fit, sentence = assemble(family, data.info, knob=knob, start=start, ladder_knobs=ladder_knobs, runs=runs,
                                     metric=metric, pricing=pricing, multiples=multiples, level=level,
                                     bootstrap=bootstrap, seed=recipe.seed)
    result = ScaleResult(task.name, family, knob, hw.name, recipe, start, runs, priced, fit, sentence,
                         out_dir if save else None)
    if save:
        write_json(out_dir / SCALING, result.to_dict())
    return result
