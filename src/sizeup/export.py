"""ONNX: the one exporter, the onnxruntime session every ONNX model runs in, and an ONNX file behind the ``nn.Module``
call contract, so that sizeup evaluates and measures exported, quantized and classic (scikit-learn) models the way it
does PyTorch ones.

The current (dynamo) exporter goes first, the TorchScript one if it cannot trace the model. Recurrent models go the
other way round: the TorchScript exporter emits ONNX ``LSTM`` nodes whose weights are initializers, which ONNX
Runtime's ``quantize_dynamic`` turns into ``DynamicQuantizeLSTM``; the dynamo exporter's LSTM weights are computed
tensors that the quantizer leaves in float (measured: 10.1 MB -> 10.1 MB).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup.errors import SizeupError

__all__ = ["export_onnx", "check_onnx", "onnx_session", "OnnxModel", "ONNX_FILE", "ONNX_TOLERANCE"]

ONNX_FILE = "model.onnx"
ONNX_TOLERANCE = 1e-4  # largest |onnxruntime - PyTorch| output difference accepted as "the same model"


def _ort():
    return optional_import("onnxruntime", extra="onnx", feature="ONNX models")


def onnx_session(path: str | Path | bytes, threads: int | None = None):
    """A CPU session with ``threads`` intra-op threads (default: as many as torch uses), so the two runtimes
    compare fairly (``path`` may be the serialized graph itself). ONNX Runtime's CPU provider is the route for every
    int8/int4 method: they are CPU methods."""
    ort = _ort()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    source = path if isinstance(path, bytes) else str(path)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


class OnnxModel(nn.Module):
    """An ONNX file behind the ``nn.Module`` call contract (``sizeup.training.evaluate`` and ``measure`` accept it)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.session = onnx_session(self.path)
        self.names = [i.name for i in self.session.get_inputs()]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        feed = {n: t.detach().cpu().numpy() for n, t in zip(self.names, inputs)}
        return torch.from_numpy(self.session.run(None, feed)[0])


def export_onnx(model: nn.Module, inputs: tuple[torch.Tensor, ...], path: Path) -> Path:
    """Export ``model`` with a dynamic batch axis into one self-contained file (weights inline, no source traces).

    Raises :class:`SizeupError` naming both exporters' errors when neither can export the model.
    """
    onnx = optional_import("onnx", extra="onnx", feature="ONNX export")
    model = model.eval()
    names = [f"input_{i}" for i in range(len(inputs))]
    recurrent = any(isinstance(m, nn.RNNBase) for m in model.modules())
    errors = []
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    for dynamo in ((False, True) if recurrent else (True, False)):
        try:
            quiet = io.StringIO()  # the exporter prints its steps; stdout may carry --json
            with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                warnings.simplefilter("ignore")
                torch.onnx.export(model, inputs, str(tmp), dynamo=dynamo, input_names=names, output_names=["output"],
                                  **({"dynamic_shapes": tuple({0: torch.export.Dim("batch")} for _ in inputs)} if dynamo
                                     else {"dynamic_axes": {n: {0: "batch"} for n in names}, "opset_version": 17}))
            graph = onnx.load(str(tmp))  # pulls external weight data inline: one file to ship
            for node in graph.graph.node:  # the exporter's per-node source traces: a quarter of a small int8 file
                del node.metadata_props[:]
                node.doc_string = ""
            onnx.save(graph, str(tmp))
            tmp.replace(path)
            return path
        except Exception as exc:  # noqa: BLE001 - try the other exporter, then report both
            errors.append(f"{type(exc).__name__}: {str(exc)[:150]}")
        finally:
            for leftover in [tmp, *path.parent.glob(f"{tmp.name}*.data")]:
                leftover.unlink(missing_ok=True)
    described = model.spec.describe() if hasattr(model, "spec") else type(model).__name__
    raise SizeupError(f"ONNX export of {described} failed ({'; '.join(errors)})")


def check_onnx(path: Path, model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> float:
    """The largest absolute difference between onnxruntime's and the model's outputs on ``inputs``."""
    session = onnx_session(path)
    got = session.run(None, {i.name: t.numpy() for i, t in zip(session.get_inputs(), inputs)})[0]
    with torch.inference_mode():
        want = model.eval()(*inputs).numpy()
    return float(np.abs(got - want).max())
