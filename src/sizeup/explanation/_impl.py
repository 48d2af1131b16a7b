"""``sizeup.explain``: Integrated Gradients on test examples, attention maps, the confusion matrix and the
most confidently wrong examples of a trained model; saved as ``explain/explanations.json`` plus PNGs,
which the run's report shows (``sizeup.api.explain`` re-writes it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sizeup._io import write_json
from sizeup.errors import SizeupError
from sizeup.task import Task

__all__ = ["explain", "Explanation"]

EXPLAINABLE = ("classification", "regression")


@dataclass
class Explanation:
    """Where the explanations went, and how well Integrated Gradients met completeness."""

    out_dir: Path
    run: Path | None  # the search run whose model was explained (None for a bare model folder)
    samples: int
    max_completeness_error: float  # max over samples of |sum(attr) − (f(x) − f(b))| / |f(x) − f(b)|
    n_steps: int  # the most integration steps any sample needed
    attention: bool
    test_accuracy: float | None = None
    notes: list[str] = field(default_factory=list)
    page: Path | None = None  # the run's report.html, or explanations.html beside a bare model folder (set by api)
    payload: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def in_run_folder(self) -> bool:
        """Whether the explanations went where the run's report reads them (``<run>/explain``)."""
        return self.run is not None and self.out_dir.resolve() == (self.run / "explain").resolve()


def _resolve(target: Path, task: Task | str | Path | None) -> tuple[Path, Path | None, Task]:
    """(model folder, run folder or None, task whose data the model was trained on)."""
    from sizeup._io import read_json
    from sizeup.data import BUNDLED
    from sizeup.training.run import as_task

    if (target / "recommendation.json").is_file() or (target / "study.db").is_file():
        run, model_dir = target, target / "best"
        if not (model_dir / "config.json").is_file():
            raise SizeupError(f"{model_dir} not found: the search in {run} has not recommended a model yet; "
                              "let it finish (or resume it) first")
    elif (target / "config.json").is_file():
        run, model_dir = None, target
    else:
        raise SizeupError(f"{str(target)!r} is neither a run folder (a search's, with recommendation.json) nor a model folder "
                          "(with config.json)")
    if task is not None:
        return model_dir, run, as_task(task)
    if run is not None:
        saved = read_json(run / "task.json")
        source = saved.get("data", {}).get("source", "")
        if source not in BUNDLED and not Path(source).is_absolute():
            raise SizeupError(f"{run} was searched on {source!r}, a path relative to its task file; "
                              "pass --task with that task file")
        return model_dir, run, Task.from_dict(saved, origin=str(run / "task.json"))
    source = read_json(model_dir / "config.json")["data"]["name"]
    if source not in BUNDLED:
        raise SizeupError(f"{model_dir} was trained on {source!r}, which is not bundled; pass --task with the task file")
    return model_dir, None, Task.from_dict({"name": "explain", "data": {"source": source}})


def _pick(n_test: int, samples: int) -> list[int]:
    return torch.randperm(n_test, generator=torch.Generator().manual_seed(0))[:samples].sort().values.tolist()


def explain(run_or_model: str | Path, *, samples: int = 6, wrong: int = 8, task: Task | str | Path | None = None,
            out: str | Path | None = None, device: str | None = None) -> Explanation:
    """Explain the recommended model of a run (or a saved model folder) on ``samples`` test examples.

    ``device``: where the attributions are computed (default ``auto``: the best device present)."""
    from sizeup.checkpoint import load_model
    from sizeup.data import load_data
    from sizeup.measurement import resolve_device

    if samples < 1 or wrong < 0:
        raise SizeupError(f"--samples must be at least 1 and --wrong at least 0, got samples={samples}, wrong={wrong}")
    dev = resolve_device(device, what="--device")
    model_dir, run, t = _resolve(Path(run_or_model), task)
    model = load_model(model_dir).to(dev)
    info = model.info
    if info.task not in EXPLAINABLE:
        raise SizeupError(f"explain supports {' and '.join(EXPLAINABLE)} models; {model_dir} is {info.task}")
    data = load_data(t)
    if tuple(data.info.input_shape) != tuple(info.input_shape):
        raise SizeupError(f"the task's data has input shape {tuple(data.info.input_shape)} but {model_dir} expects "
                          f"{tuple(info.input_shape)}; pass the task the model was trained on (--task)")
    out_dir = Path(out) if out else (run or model_dir) / "explain"
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = _compute(model, info, data.test, out_dir, samples=samples, wrong=wrong)
    payload["model"] = model.spec.describe()
    write_json(out_dir / "explanations.json", payload)
    errs = [s["rel_error"] for s in payload["samples"]]
    return Explanation(out_dir, run, len(errs), max(errs), max(s["n_steps"] for s in payload["samples"]),
                       payload["attention"] is not None, payload.get("test_accuracy"), payload=payload)


def _compute(model: torch.nn.Module, info: Any, test: Any, out_dir: Path, *, samples: int, wrong: int) -> dict[str, Any]:
    from sizeup.explanation._attention import attention_maps
    from sizeup.explanation._attribute import integrated_gradients
    from sizeup.explanation._inputs import describe_attribution, describe_input, tokens_of
    from sizeup.measurement import module_device
    from sizeup.training.evaluate import predict

    dev = module_device(model)
    logits = predict(model, test.x)
    classify = info.task == "classification"
    payload: dict[str, Any] = {"input_kind": info.input_kind, "task": info.task, "class_names": info.class_names,
                               "method": "Integrated Gradients (Gauss-Legendre)" + (
                                   ", layer IG on the token embedding from the padding embedding"
                                   if info.input_kind == "tokens" else ", from an all-zero input"),
                               "confusion": None, "wrong": [], "attention": None}
    if classify:
        probs = logits.softmax(-1)
        conf, pred = probs.max(-1)
        y = test.y.long()
        payload["test_accuracy"] = float((pred == y).float().mean())
        payload["confusion"] = torch.zeros(info.n_outputs, info.n_outputs, dtype=torch.long).index_put_(
            (y, pred), torch.ones_like(y), accumulate=True).tolist()
        bad = (pred != y).nonzero().flatten()
        for i in bad[conf[bad].argsort(descending=True)][:wrong].tolist():
            payload["wrong"].append({"index": i, "label": int(y[i]), "pred": int(pred[i]), "confidence": float(conf[i]),
                                     **describe_input(info, test.x[i], out_dir, f"wrong_{i}")})
    rows = []
    for i in _pick(len(test), samples):
        x = test.x[i : i + 1].to(dev)
        target = int(logits[i].argmax()) if classify else 0
        a = integrated_gradients(model, x, target)
        rows.append({"index": i, "label": int(test.y[i]) if classify else float(test.y[i].flatten()[0]),
                     "pred": target if classify else float(logits[i].flatten()[0]),
                     "confidence": float(logits[i].softmax(-1).max()) if classify else None,
                     "fx": a.fx, "fb": a.fb, "attr_sum": float(a.values.sum()), "delta": a.delta,
                     "rel_error": a.rel_error, "n_steps": a.n_steps,
                     **describe_attribution(info, test.x[i], a.values, out_dir, f"ig_{i}")})
    payload["samples"] = rows
    first = rows[0]["index"]
    maps = attention_maps(model, test.x[first : first + 1].to(dev))
    if maps:
        n = maps[0].shape[-1]
        labels = tokens_of(info, test.x[first]) if info.input_kind == "tokens" else [str(j) for j in range(n)]
        labels = (labels + [""] * n)[:n]
        payload["attention"] = {"index": first, "labels": labels, "layers": [m.cpu().tolist() for m in maps]}
    return payload
