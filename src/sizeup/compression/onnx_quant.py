"""Quantization on the robust CPU route: export to ONNX, then ONNX Runtime's quantizers.

``int8`` is ``quantize_dynamic`` (int8 weights, activations quantized on the fly: MatMul/Gemm, LSTM,
attention); ``int8-static`` is ``quantize_static`` in QDQ format with a ``CalibrationDataReader`` over
training samples (Conv gets int8 activations too); ``int4-weight`` is ``MatMulNBitsQuantizer`` (4-bit
blocks of 32 for MatMul weights). ``torch.ao.quantization`` is deprecated, hence not used.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup.compression.methods import Method
from sizeup.errors import SizeupError

__all__ = ["OnnxModel", "export_fp32", "quantize", "session"]

CALIBRATION_SAMPLES = 256


def _ort():
    return optional_import("onnxruntime", extra="compress", feature="sizeup compress (quantization)")


def session(path: str | Path, threads: int | None = None):
    """A CPU session with ``threads`` intra-op threads (default: as many as torch uses), so the two runtimes
    compare fairly. ONNX Runtime's CPU provider is the route for every int8/int4 method: they are CPU methods."""
    ort = _ort()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxModel(nn.Module):
    """An ONNX file behind the ``nn.Module`` call contract, so ``sizeup.training.evaluate`` can score it."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.session = session(self.path)
        self.names = [i.name for i in self.session.get_inputs()]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        feed = {n: t.detach().cpu().numpy() for n, t in zip(self.names, inputs)}
        return torch.from_numpy(self.session.run(None, feed)[0])


def export_fp32(model: nn.Module, inputs: tuple[torch.Tensor, ...], path: Path) -> Path:
    """Export with a dynamic batch axis into one self-contained file (weights inline).

    Recurrent models go through the TorchScript exporter first: it emits ONNX ``LSTM`` nodes whose weights
    are initializers, which ``quantize_dynamic`` turns into ``DynamicQuantizeLSTM``; the dynamo exporter's
    LSTM weights are computed tensors that the quantizer leaves in float (measured: 10.1 MB -> 10.1 MB).
    """
    onnx = optional_import("onnx", extra="compress", feature="sizeup compress (quantization)")
    model = model.eval()
    names = [f"input_{i}" for i in range(len(inputs))]
    recurrent = any(isinstance(m, nn.RNNBase) for m in model.modules())
    errors = []
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    for dynamo in ((False, True) if recurrent else (True, False)):
        try:
            quiet = io.StringIO()  # the exporter prints its steps; stdout may carry --json
            with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                warnings.simplefilter("ignore")
                torch.onnx.export(model, inputs, str(path), dynamo=dynamo, input_names=names, output_names=["output"],
                                  **({"dynamic_shapes": tuple({0: torch.export.Dim("batch")} for _ in inputs)} if dynamo
                                     else {"dynamic_axes": {n: {0: "batch"} for n in names}, "opset_version": 17}))
            graph = onnx.load(str(path))  # pulls external weight data inline: one file to ship
            for node in graph.graph.node:  # the exporter's per-node source traces: a quarter of a small int8 file
                del node.metadata_props[:]
                node.doc_string = ""
            onnx.save(graph, str(path))
            for leftover in path.parent.glob(f"{path.name}*.data"):
                leftover.unlink()
            return path
        except Exception as exc:  # noqa: BLE001 - try the other exporter, then report both
            errors.append(f"{type(exc).__name__}: {str(exc)[:150]}")
    raise SizeupError(f"ONNX export of {model.spec.describe()} failed ({'; '.join(errors)}); "
                      "quantization needs an ONNX graph: try prune:0.5 or distill instead")


class _Calibration:
    """Feeds batches of training samples to ``quantize_static`` (an ONNX Runtime ``CalibrationDataReader``)."""

    def __init__(self, names: list[str], inputs: tuple[torch.Tensor, ...], batch: int = 32) -> None:
        n = len(inputs[0])
        self.batches = iter([{k: t[i : i + batch].numpy() for k, t in zip(names, inputs)} for i in range(0, n, batch)])

    def get_next(self):
        return next(self.batches, None)

    def rewind(self) -> None:  # pragma: no cover - not called by the MinMax calibrator
        pass


def quantize(model: nn.Module, method: Method, calibration: tuple[torch.Tensor, ...], out: Path) -> tuple[Path, Path]:
    """Write the quantized model to ``out`` and return ``(quantized, float reference)`` ONNX paths."""
    _ort()
    from onnxruntime import quantization as q

    fp32 = out.with_name(f"{out.stem}.fp32.onnx")
    export_fp32(model, tuple(t[:8] for t in calibration), fp32)
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        for name in ("", "onnxruntime.quantization.matmul_nbits_quantizer"):  # hints at WARNING, node lists at INFO
            logging.getLogger(name).setLevel(logging.ERROR)
        if method.name == "int8":
            q.quantize_dynamic(str(fp32), str(out), weight_type=q.QuantType.QInt8)
        elif method.name == "int8-static":
            prepared = Path(tmp) / "prepared.onnx"  # shape inference + graph optimisation (folds BatchNorm into Conv)
            q.quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
            names = [i.name for i in session(prepared).get_inputs()]
            q.quantize_static(str(prepared), str(out), _Calibration(names, tuple(t[:CALIBRATION_SAMPLES] for t in calibration)),
                              quant_format=q.QuantFormat.QDQ, activation_type=q.QuantType.QInt8,
                              weight_type=q.QuantType.QInt8, per_channel=True)
        elif method.name == "int4-weight":
            import onnx
            from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

            quantizer = MatMulNBitsQuantizer(onnx.load(str(fp32)), block_size=32, is_symmetric=True)
            quantizer.process()
            quantizer.model.save_model_to_file(str(out), False)
        else:  # pragma: no cover - parse_method admits no other quantizer
            raise SizeupError(f"{method.text!r} is not a quantization method")
    return out, fp32


