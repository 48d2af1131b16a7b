"""Apply one method to a copy of the model and save the result: ONNX for quantized models, safetensors
plus ``config.json`` otherwise; ``sizeup.checkpoint.load_model`` (``sizeup.load``) loads any of them back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from sizeup._io import read_json, write_json
from sizeup.checkpoint import CONFIG, ONNX_FILE, WEIGHTS, layer_sizes, save_model
from sizeup.compression._source import Source
from sizeup._methods import Method

__all__ = ["Applied", "apply_method"]



@dataclass
class Applied:
    model: nn.Module
    onnx: bool
    size_bytes: int
    description: str
    reference: Path | None = None
    details: dict[str, Any] = field(default_factory=dict)


def apply_method(model: nn.Module, method: Method, source: Source, out: Path) -> Applied:
    """Compress ``model`` (a copy the caller owns) with ``method``; write it into ``out``."""
    from sizeup.training.run import example_inputs

    info, data = source.data.info, source.data
    meta = {"method": method.text, "source": str(source.model_dir)}
    if method.cast:
        from sizeup._cast import cast_model

        cast_model(model, method.name)
        save_model(model, info, out, extra={"compression": {**meta, "format": "cast", "dtype": method.name}})
        return Applied(model.eval(), False, (out / WEIGHTS).stat().st_size, f"{model.spec.describe()} {method.name}")
    if method.quantized:
        from sizeup.compression.onnx_quant import quantize
        from sizeup.export import OnnxModel

        path, fp32 = quantize(model.cpu(), method, example_inputs(info, data.train, 512), out / ONNX_FILE)
        write_json(out / CONFIG, {**read_json(source.model_dir / CONFIG), "compression": {**meta, "format": "onnx"}})
        notes = ["ONNX Runtime's integer kernels run on the CPU: this method is measured there, whatever --device says"]
        if path.stat().st_size > 0.9 * fp32.stat().st_size:
            notes.append(f"{method.name} left (almost) every weight in float: this graph has few layers it quantizes "
                         "(int8: MatMul/Gemm/LSTM/attention; int8-static: also Conv; int4-weight: MatMul only)")
        return Applied(OnnxModel(path), True, path.stat().st_size, f"{model.spec.describe()} {method.name}", fp32,
                       details={"notes": notes})
    if method.name == "distill":
        from sizeup.compression.distill import build_student, distill

        student = build_student(model, info, method)
        details = distill(model, student, data, source.task, method)
        save_model(student, info, out, extra={"compression": {**meta, "teacher": model.spec.describe(), **details}})
        return Applied(student.eval(), False, (out / WEIGHTS).stat().st_size, student.spec.describe(), details=details)
    from sizeup.compression import prune

    structured = method.name == "prune"
    if structured:
        from sizeup.measurement import module_device

        dev = module_device(model)
        prune.prune_structured(model, method.ratio, tuple(t.to(dev) for t in example_inputs(info, data.test, 2)))
    else:
        prune.prune_unstructured(model, method.ratio)
    details = prune.fine_tune(model, data, source.task, method, keep_zeros=not structured)
    if not structured:
        details["sparsity"] = prune.sparsity(model)
        details["notes"] = [f"{details['sparsity']:.0%} of the weights are zero, but dense kernels do not skip zeros: "
                            "unstructured pruning does not make this model faster or smaller on disk"]
    extra = {**meta, **({"layer_sizes": layer_sizes(model)} if structured else {}), **details}
    save_model(model, info, out, extra={"compression": extra})
    desc = f"{model.spec.describe()} {'channels' if structured else 'weights'} pruned {method.ratio:.0%}"
    return Applied(model.eval(), False, (out / WEIGHTS).stat().st_size, desc, details=details)
