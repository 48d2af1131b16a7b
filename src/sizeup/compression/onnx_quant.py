"""Quantization on the robust CPU route: export to ONNX, then ONNX Runtime's quantizers.

``int8`` is ``quantize_dynamic`` (int8 weights, activations quantized on the fly: MatMul/Gemm, LSTM,
attention); ``int8-static`` is ``quantize_static`` in QDQ format with a ``CalibrationDataReader`` over
training samples (Conv gets int8 activations too); ``int4-weight`` is ``MatMulNBitsQuantizer`` (4-bit
blocks of 32 for MatMul weights). ``torch.ao.quantization`` is deprecated, hence not used.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup._methods import Method
from sizeup.errors import SizeupError
from sizeup.export import export_onnx, onnx_session

__all__ = ["quantize"]

CALIBRATION_SAMPLES = 256


def _ort():
    return optional_import("onnxruntime", extra="compress", feature="sizeup compress (quantization)")


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
    try:
        export_onnx(model, tuple(t[:8] for t in calibration), fp32)
    except SizeupError as exc:
        raise SizeupError(f"{exc}; quantization needs an ONNX graph: try prune:0.5 or distill instead") from None
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        for name in ("", "onnxruntime.quantization.matmul_nbits_quantizer"):  # hints at WARNING, node lists at INFO
            logging.getLogger(name).setLevel(logging.ERROR)
        if method.name == "int8":
            q.quantize_dynamic(str(fp32), str(out), weight_type=q.QuantType.QInt8)
        elif method.name == "int8-static":
            prepared = Path(tmp) / "prepared.onnx"  # shape inference + graph optimisation (folds BatchNorm into Conv)
            q.quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
            names = [i.name for i in onnx_session(prepared).get_inputs()]
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


