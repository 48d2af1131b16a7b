"""``sizeup.estimate``: resolve what the user named, check the setup once, and hand off to a formula or to
the exact meta-device measurement of a module."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from sizeup.estimation._catalog import Hardware, custom_hardware, get_hardware, get_model
from sizeup.estimation._config import TransformerShape, shape_from_config
from sizeup.estimation._llm import estimate_transformer
from sizeup.estimation._module_estimate import estimate_module
from sizeup.estimation._params import count_params
from sizeup.estimation._plan import search_plans
from sizeup.estimation._roofline import efficiency_for
from sizeup.estimation._safetensors import safetensors_counts
from sizeup.estimation._types import Estimate, Setup
from sizeup.estimation._validate import check_choices, check_setup
from sizeup.errors import SizeupError

__all__ = ["estimate", "resolve_hardware"]


def resolve_hardware(hardware: str | Hardware | None, *, gpu_mem: float | None = None, tflops: float | None = None,
                     bandwidth: float | None = None, price: float | None = None) -> Hardware:
    if isinstance(hardware, Hardware):
        return hardware
    if any(v is not None for v in (gpu_mem, tflops, bandwidth)):
        if hardware is not None:
            raise SizeupError("give either --hardware NAME or --gpu-mem/--tflops/--bandwidth, not both")
        return custom_hardware(memory_gb=gpu_mem, tflops=tflops, bandwidth_gbs=bandwidth, usd_per_hour=price)
    return get_hardware(hardware or "h100", usd_per_hour=price)


def estimate(
    model: str | Path | nn.Module,
    *,
    hardware: str | Hardware | None = None,
    dtype: str | None = None,
    mode: str = "infer",
    batch: int = 1,
    seq: int = 2048,
    gpus: int | None = None,
    optimizer: str = "adamw",
    zero: int = 0,
    fsdp: bool = False,
    tp: int = 1,
    pp: int = 1,
    recompute: str = "none",
    kv_dtype: str | None = None,
    grad_dtype: str | None = None,
    micro_batch: int | None = None,
    plan: bool = False,
    price: float | None = None,
    gpu_mem: float | None = None,
    tflops: float | None = None,
    bandwidth: float | None = None,
    api_prices: dict[str, dict[str, Any]] | None = None,
    task: Any = None,
    example_inputs: tuple[Any, ...] | None = None,
) -> Estimate:
    """Estimate memory, FLOPs, time and cost of ``model`` on ``gpus`` devices of ``hardware``.

    ``model`` is a catalog id (:func:`list_models`), a Hugging Face ``config.json`` path (or a folder with one,
    plus optional ``*.safetensors`` whose headers give per-dtype counts), a saved sizeup model folder, a zoo
    spec ``"family:k=v,..."`` (needs ``task``), or an ``nn.Module`` (needs ``example_inputs``). ``batch`` is
    the global batch (train) or concurrent sequences (infer); ``seq`` the tokens per sequence (infer: prompt +
    generated). With ``plan=True`` the feasible parallel plans on ``gpus`` devices are ranked.
    """
    if hardware is None and _runs_here(model):
        hardware = "cpu"  # sizeup's own small models: the machine they are trained on
    hw = resolve_hardware(hardware, gpu_mem=gpu_mem, tflops=tflops, bandwidth=bandwidth, price=price)
    if isinstance(model, nn.Module):
        if example_inputs is None:
            raise SizeupError("estimating an nn.Module needs example_inputs=(tensor, ...) shaped like one batch")
        return estimate_module(model, example_inputs, hardware=hw, mode=mode, dtype=dtype, optimizer=optimizer)
    requested_dtype, dtype = dtype, dtype or "bf16"
    if fsdp:
        if zero not in (0, 3):
            raise SizeupError(f"--fsdp is ZeRO stage 3; drop --zero {zero} or --fsdp")
        zero = 3
    gpus = gpus or tp * pp
    quantized = dtype in ("fp8", "int8", "int4")
    st = Setup(hardware=hw.name, dtype=dtype, mode=mode, batch=batch, seq=seq, gpus=gpus, tp=tp, pp=pp, zero=zero,
               optimizer=optimizer, recompute=recompute, kv_dtype=kv_dtype or ("bf16" if quantized else dtype),
               micro_batch=1, grad_dtype=grad_dtype or ("bf16" if quantized else dtype))
    check_choices(replace(st, micro_batch=micro_batch or 1))
    if mode == "train":
        per_replica = batch // st.dp
        st = replace(st, micro_batch=micro_batch or (1 if pp > 1 else per_replica))
        check_choices(st)
    eff = efficiency_for(hw)
    text = str(model)
    shape, source, counts = _resolve_transformer(text, task=task, setup=st, hw=hw, dtype=requested_dtype)
    if shape is None:
        return source  # a zoo spec or a saved sizeup model was estimated exactly
    if counts and requested_dtype is None:
        st = _dtype_from_checkpoint(st, counts, kv_dtype=kv_dtype, grad_dtype=grad_dtype)
    notes = check_setup(st, shape)
    result = estimate_transformer(shape, st, hw, eff, source=source, notes=notes, api=api_prices, params_by_dtype=counts)
    if counts:
        result.notes.append(f"safetensors headers hold {sum(counts.values()):,} parameters ({_fmt_counts(counts)})")
    if plan:
        result.plan = search_plans(shape, count_params(shape), st, hw, eff)
        if not result.plan:
            result.notes.append(f"no parallel plan fits {gpus} × {hw.name}; add devices, lower --batch/--seq or use a smaller --dtype")
    return result


# safetensors dtype names -> sizeup's; packed integer formats (GPTQ/AWQ store int4 in I32) are not guessed.
_FILE_DTYPES = {"BF16": "bf16", "F16": "fp16", "F32": "fp32", "F8_E4M3": "fp8", "F8_E5M2": "fp8", "I8": "int8"}


def _dtype_from_checkpoint(st: Setup, counts: dict[str, int], *, kv_dtype: str | None, grad_dtype: str | None) -> Setup:
    """Without --dtype, weights are priced in the dtype most of the checkpoint's parameters are stored in."""
    stored = _FILE_DTYPES.get(max(counts, key=counts.get))
    if stored is None or stored == st.dtype:
        return st
    compute = "bf16" if stored in ("fp8", "int8") else stored
    return replace(st, dtype=stored, kv_dtype=kv_dtype or compute, grad_dtype=grad_dtype or compute)


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items()))


def _runs_here(model: Any) -> bool:
    if isinstance(model, nn.Module):
        return True
    text = str(model)
    path = Path(text).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        try:
            return "family" in json.loads((path / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
    return not path.exists() and get_model(text) is None and (":" in text or _is_family(text))


def _resolve_transformer(text: str, *, task: Any, setup: Setup, hw: Hardware,
                         dtype: str | None) -> tuple[TransformerShape | None, Any, dict | None]:
    """(shape, source, per-dtype counts) for configs; (None, Estimate, None) for zoo specs and saved models."""
    path = Path(text).expanduser()
    if path.exists():
        return _from_path(path, setup=setup, hw=hw, dtype=dtype)
    entry = get_model(text)
    if entry is not None:
        return shape_from_config(entry.config, name=entry.id), "catalog", None
    family = text.split(":", 1)[0]
    if ":" in text or _is_family(family):
        from sizeup.estimation._zoo import estimate_zoo_spec

        return None, estimate_zoo_spec(text, task=task, setup=setup, dtype=dtype, hardware=hw), None
    from sizeup.estimation._catalog import list_models

    ids = ", ".join(m.id for m in list_models())
    raise SizeupError(f"unknown model {text!r}; give a catalog id ({ids}), a config.json path, a saved model folder, "
                      "or a zoo spec such as cnn:width=32,depth=3 with --task")


def _is_family(name: str) -> bool:
    try:
        from sizeup.zoo import list_families
    except ImportError:
        return False
    return name in list_families()


def _from_path(path: Path, *, setup: Setup, hw: Hardware, dtype: str | None) -> tuple[TransformerShape | None, Any, dict | None]:
    folder = path if path.is_dir() else path.parent
    config_path = path if path.suffix == ".json" else folder / "config.json"
    shards = sorted(folder.glob("*.safetensors")) if path.is_dir() else ([path] if path.suffix == ".safetensors" else [])
    if not config_path.is_file():
        raise SizeupError(f"{path}: no config.json found; give a Hugging Face config.json or a folder holding one")
    try:
        cfg = json.loads(config_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SizeupError(f"{config_path}: not valid JSON ({exc}); fix or re-download the file") from None
    if not isinstance(cfg, dict):
        raise SizeupError(f"{config_path}: expected a JSON object with model settings")
    if "family" in cfg and "data" in cfg:  # written by sizeup.checkpoint.save_model
        from sizeup.estimation._zoo import estimate_saved_model

        return None, estimate_saved_model(folder, cfg, setup=setup, dtype=dtype, hardware=hw), None
    name = folder.name if path.is_dir() or path.name == "config.json" else path.stem
    counts = safetensors_counts(*shards) if shards else None
    return shape_from_config(cfg, name=name, origin=str(config_path)), "safetensors" if counts else "config", counts
