"""The ``compress`` verb: load a model and its task, compress it one way, re-measure both on this device
(test quality, params, size on disk, batch-1 latency, throughput, peak memory), save, compare."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from sizeup._io import prepare_out_dir, write_json
from sizeup.compression._source import Source, open_source
from sizeup._methods import Method, parse_method
from sizeup.task import Task

__all__ = ["compress", "compress_source", "CompressResult", "Figures", "measure_figures", "NO_SPEEDUP", "on_device"]

NO_SPEEDUP = 1.05  # a latency ratio below this is "no speed-up on this device", said plainly
OWNED = ("model.onnx", "model.safetensors", "config.json", "compress.json")


@dataclass
class Figures:
    """One row of the before/after table, measured on this device."""

    name: str
    model: str
    runtime: str
    quality: float
    params: int
    size_mb: float
    latency_ms: float
    latency_min_ms: float
    latency_max_ms: float
    throughput: float
    memory_mb: float
    notes: list[str] = field(default_factory=list)
    device: str = ""


@dataclass
class CompressResult:
    """Before and after (plus the float ONNX model for quantized ones: the same runtime without int8)."""

    method: str
    metric: str
    higher_is_better: bool
    before: Figures
    after: Figures
    reference: Figures | None
    out_dir: Path
    details: dict[str, Any]
    model: nn.Module = field(repr=False)

    @property
    def speedup(self) -> float:
        return self.before.latency_ms / self.after.latency_ms

    @property
    def size_ratio(self) -> float:
        return self.before.size_mb / self.after.size_mb

    @property
    def in_points(self) -> bool:
        return self.metric in ("accuracy", "macro_f1", "token_accuracy", "sequence_accuracy")

    @property
    def quality_change(self) -> float:
        """After minus before, in points (x100) for fraction metrics, in the metric's unit otherwise."""
        return (100.0 if self.in_points else 1.0) * (self.after.quality - self.before.quality)

    @property
    def verdicts(self) -> list[str]:
        lines = [f"batch-1 latency {self.speedup:.2f}x ({self.before.latency_ms:.3g} -> {self.after.latency_ms:.3g} ms); "
                 f"size on disk {self.size_ratio:.2f}x smaller; test {self.metric} {self.quality_change:+.2f}"
                 f"{' points' if self.in_points else ''}"]
        if self.speedup < NO_SPEEDUP:
            lines.append(f"no speed-up on this device: {self.method} is not faster than the original here")
        if self.reference is not None:
            lines.append(f"of which the runtime (PyTorch -> ONNX Runtime float) gives "
                         f"{self.before.latency_ms / self.reference.latency_ms:.2f}x and {self.method} on top "
                         f"{self.reference.latency_ms / self.after.latency_ms:.2f}x")
            if self.reference.latency_ms / self.after.latency_ms < NO_SPEEDUP:
                lines.append(f"{self.method} itself is not faster than the float ONNX model here; "
                             "the float ONNX export is the better choice on this device")
        lines += [n for n in self.details.get("notes", [])]
        return lines

    def rows(self) -> list[Figures]:
        return [self.before, *([self.reference] if self.reference else []), self.after]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "metric": self.metric, "speedup": self.speedup, "size_ratio": self.size_ratio,
                "quality_change": self.quality_change, "verdicts": self.verdicts, "out_dir": str(self.out_dir),
                "rows": [dataclasses.asdict(r) for r in self.rows()], "details": self.details}


def measure_figures(name: str, model: nn.Module, source: Source, *, size_bytes: int, description: str,
                    latency_budget_s: float = 1.0, params: int | None = None) -> Figures:
    """Test quality plus the one measuring path (``sizeup.measure``) for torch and ONNX models alike."""
    from sizeup.export import OnnxModel
    from sizeup.measurement import measure, measure_onnx
    from sizeup.training import Objective, evaluate
    from sizeup.training.run import example_inputs

    info, metric = source.data.info, _metric(source)
    test = evaluate(model, source.data.test, Objective(info.task), n_classes=info.n_outputs)
    inputs = example_inputs(info, source.data.test, 256)
    if isinstance(model, OnnxModel):
        from sizeup.export import onnx_session

        m, runtime = measure_onnx(lambda threads: onnx_session(model.path, threads), tuple(t.cpu() for t in inputs),
                                  params=params or 0, weights_bytes=size_bytes,
                                  latency_budget_s=latency_budget_s), "onnxruntime"
    else:
        m, runtime = measure(model, inputs, latency_budget_s=latency_budget_s), "pytorch"
    return Figures(name, description, runtime, test[metric], params or m.params, size_bytes / 2**20, m.latency_ms,
                   m.latency_min_ms, m.latency_max_ms, m.throughput, m.memory_mb, m.notes, m.device)


def _metric(source: Source) -> str:
    return source.task.search.metric or source.data.info.metric


def compress(run_or_model: str | Path, method: str | Method, *, task: Task | str | Path | None = None,
             out: str | Path | None = None, force: bool = False, latency_budget_s: float = 1.0,
             device: str | None = None) -> CompressResult:
    """Compress the model of a search run (``runs/<name>``) or a saved model folder one way and compare.

    ``method``: ``int8``, ``int8-static``, ``int4-weight``, ``fp16``, ``bf16``, ``prune:R``,
    ``prune-unstructured:R`` or ``distill[:family=...,width=...]``. ``device``: where the model is fine-tuned and
    measured before and after (default: the task's ``[constraints] device``, else ``[train] device``, else the
    best present); the int8/int4 methods run in ONNX Runtime on the CPU whatever it says. The result is saved
    in ``out`` (default ``<run>/compressed/<method>``).
    """
    method = method if isinstance(method, Method) else parse_method(method)
    source = on_device(open_source(run_or_model, task), device)
    return compress_source(source, method, out=out, force=force, latency_budget_s=latency_budget_s)


def on_device(source: Source, device: str | None) -> Source:
    """The source's model on the device it is compressed and measured on; fine-tuning trains there too."""
    from sizeup.measurement import resolve_device
    from sizeup.training.run import serving_device, with_device

    task = with_device(source.task, device)
    dev = resolve_device(device or serving_device(task), what="--device")
    source.model.to(dev)
    return dataclasses.replace(source, task=with_device(task, str(dev)))


def default_out(source: Source, method: Method) -> Path:
    base = source.model_dir.parent if source.model_dir.name == "best" else source.model_dir
    return base / "compressed" / method.slug


def compress_source(source: Source, method: Method, *, out: str | Path | None = None, force: bool = False,
                    before: Figures | None = None, latency_budget_s: float = 1.0) -> CompressResult:
    """:func:`compress` for an already opened source (``before`` may be reused across methods)."""
    from sizeup.compression.apply import apply_method
    from sizeup.measurement import count_params

    out_dir = prepare_out_dir(Path(out) if out else default_out(source, method), owned=OWNED, force=force)
    original = source.model
    if before is None:
        before = measure_figures("before", original, source, description=original.spec.describe(),
                                 size_bytes=(source.model_dir / "model.safetensors").stat().st_size,
                                 latency_budget_s=latency_budget_s)
    work = copy.deepcopy(original)
    work.info = original.info
    applied = apply_method(work, method, source, out_dir)
    params = count_params(applied.model) if not applied.onnx else count_params(original)
    after = measure_figures(f"after ({method.text})", applied.model, source, size_bytes=applied.size_bytes,
                            description=applied.description, latency_budget_s=latency_budget_s, params=params)
    reference = None
    if applied.reference is not None:
        from sizeup.export import OnnxModel

        reference = measure_figures("onnx float (reference)", OnnxModel(applied.reference), source,
                                    size_bytes=applied.reference.stat().st_size, description="same model, ONNX fp32",
                                    latency_budget_s=latency_budget_s, params=params)
        applied.reference.unlink()
    from sizeup.training import higher_is_better

    metric = _metric(source)
    result = CompressResult(method.text, metric, higher_is_better(metric), before, after, reference, out_dir,
                            applied.details, applied.model)
    write_json(out_dir / "compress.json", {"source": str(source.model_dir), **result.to_dict()})
    return result
