"""The recommended model's files: ``best/`` holds its weights and config, plus an ONNX copy that
onnxruntime has checked against PyTorch on the same inputs."""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sizeup.errors import MissingExtraError
from sizeup._imports import optional_import

__all__ = ["copy_best", "export_onnx"]

ONNX_TOLERANCE = 1e-4


def copy_best(trial_dir: Path, best_dir: Path) -> None:
    """Copy a trial's saved model into ``best/`` (each file replaced atomically)."""
    best_dir.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "config.json"):
        tmp = best_dir / f".{name}.tmp"
        shutil.copyfile(trial_dir / name, tmp)
        tmp.replace(best_dir / name)


def export_onnx(model: nn.Module, inputs: tuple[torch.Tensor, ...], path: Path) -> dict[str, object]:
    """Export with PyTorch's ONNX exporter and check onnxruntime's outputs; returns what happened."""
    try:
        ort = optional_import("onnxruntime", extra="onnx", feature="ONNX export")
        optional_import("onnx", extra="onnx", feature="ONNX export")
    except MissingExtraError as exc:
        return {"onnx": None, "note": str(exc)}
    model = model.eval()
    tmp = path.with_name(f".{path.name}.tmp")
    names = [f"input_{i}" for i in range(len(inputs))]
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    error = None
    for dynamo in (True, False):  # the current exporter first; the TorchScript one if it cannot trace
        try:
            quiet = io.StringIO()  # the exporter prints its steps; stdout may carry --json
            with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                warnings.simplefilter("ignore")
                torch.onnx.export(model, inputs, str(tmp), dynamo=dynamo, input_names=names, output_names=["output"],
                                  **({"dynamic_shapes": tuple({0: torch.export.Dim("batch")} for _ in inputs)} if dynamo
                                     else {"dynamic_axes": {n: {0: "batch"} for n in names}}))
            break
        except Exception as exc:  # noqa: BLE001 - any exporter failure falls back, then is reported
            error = exc
    else:
        return {"onnx": None, "note": f"ONNX export failed: {type(error).__name__}: {str(error)[:200]}"}
    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    got = session.run(None, {i.name: t.numpy() for i, t in zip(session.get_inputs(), inputs)})[0]
    with torch.inference_mode():
        want = model(*inputs).numpy()
    diff = float(np.abs(got - want).max())
    tmp.replace(path)
    return {"onnx": str(path), "onnx_max_abs_diff": diff, "onnx_matches": diff <= ONNX_TOLERANCE}
