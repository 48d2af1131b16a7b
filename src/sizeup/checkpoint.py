"""Save and load models: ``model.safetensors`` (no code runs on load) + ``config.json`` that rebuilds it, or
``model.onnx`` + ``config.json`` for quantized and classic (scikit-learn) models.

:func:`load_model` is the one door back from a saved folder, whatever wrote it: ``train``, the search (``best/``,
``trials/<n>/``), ``compress`` (quantized ONNX, structurally pruned, distilled), or a classic model. :func:`rebuild`
is the one place a model is rebuilt from a config.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import load_model as _load_weights
from safetensors.torch import save_model as _save_weights
from torch import nn

from sizeup import __version__
from sizeup._io import atomic_path, read_json, write_json
from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError

__all__ = ["save_model", "load_model", "model_folder", "rebuild", "copy_model", "WEIGHTS", "CONFIG", "ONNX_FILE",
           "SIZE_ATTRS", "layer_sizes"]

WEIGHTS, CONFIG, ONNX_FILE = "model.safetensors", "config.json", "model.onnx"
MODEL_FILES = (WEIGHTS, ONNX_FILE, CONFIG)
SIZE_ATTRS = ("in_channels", "out_channels", "in_features", "out_features", "num_features", "normalized_shape")


def save_model(model: nn.Module, info: DataInfo, folder: str | Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write the weights (or the ONNX graph of a model that carries one) and the config that rebuilds the model."""
    spec = getattr(model, "spec", None)
    if spec is None:
        raise SizeupError("only models built by sizeup.zoo.build can be saved (they carry model.spec)")
    folder = Path(folder)
    onnx_bytes = getattr(model, "onnx_bytes", None)
    if onnx_bytes is not None:  # a classic model: its fitted graph is the model
        with atomic_path(folder / ONNX_FILE) as tmp:
            tmp.write_bytes(onnx_bytes())
        extra = {**(extra or {}), "format": "onnx"}
    else:
        with atomic_path(folder / WEIGHTS) as tmp:
            _save_weights(model, str(tmp))
    write_json(folder / CONFIG, {"sizeup_version": __version__, **spec.to_dict(), "data": info.to_dict(), **(extra or {})})
    return folder


def model_folder(path: str | Path) -> Path:
    """The saved model a path names: a run folder's ``best/`` (a search's recommendation), or the folder itself."""
    path = Path(path)
    if not path.exists():
        raise SizeupError(f"{str(path)!r} not found; give a search or train run folder, or a saved model folder")
    for folder in (path / "best", path):
        if (folder / CONFIG).is_file():
            return folder
    raise SizeupError(f"{str(path)!r} holds no model (no {CONFIG} and no best/{CONFIG}); give a search or train "
                      "run folder (e.g. runs/<task name> or runs/<task name>/train-cnn), or a saved model folder")


def rebuild(meta: dict[str, Any], *, device: str | torch.device | None = None, origin: str = "the model config",
            **override: Any) -> tuple[nn.Module, DataInfo]:
    """A fresh, untrained model of a saved ``config.json`` (its knobs with ``override`` on top), and its data info.

    The knobs go through ``zoo.make_config``, checked as ``sizeup train`` checks them, so a damaged config is one line.
    """
    from sizeup.zoo import build, make_config

    for key in ("family", "config", "data"):
        if key not in meta:
            raise SizeupError(f"{origin} has no {key!r} entry; it was not written by sizeup")
    try:
        info = DataInfo.from_dict(meta["data"])
        config = make_config(meta["family"], **{**meta["config"], **override})
        with torch.device(device) if device is not None else contextlib.nullcontext():
            return build(meta["family"], info, config=config), info
    except (SizeupError, TypeError, KeyError) as exc:
        raise SizeupError(f"{origin}: cannot rebuild the model from it ({exc}); the file is damaged") from None


def layer_sizes(model: nn.Module) -> dict[str, dict[str, Any]]:
    """The size attributes of every layer: what a structurally pruned model must have restored when it is loaded."""
    sizes = {}
    for name, m in model.named_modules():
        attrs = {a: (list(v) if isinstance(v, tuple) else v) for a in SIZE_ATTRS if isinstance(v := getattr(m, a, None), (int, tuple))}
        if attrs:
            sizes[name] = attrs
    return sizes


def _restore_layer_sizes(model: nn.Module, sizes: dict[str, dict[str, Any]], weights: dict[str, torch.Tensor]) -> nn.Module:
    """Give a freshly built model the pruned layer sizes and tensors (shapes come from the saved weights)."""
    modules = dict(model.named_modules())
    for name, attrs in sizes.items():
        for a, v in attrs.items():
            setattr(modules[name], a, tuple(v) if isinstance(v, list) else v)
    own = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    missing = sorted(set(own) - set(weights))
    if missing:
        raise SizeupError(f"the pruned weights lack {missing[0]!r}; the model folder does not match its config.json")
    for name, tensor in weights.items():
        own[name].data = tensor
    return model


def load_model(folder: str | Path) -> nn.Module:
    """Rebuild a saved model exactly; it carries ``.spec`` and ``.info`` and is in eval mode.

    A quantized or classic model comes back as an :class:`sizeup.export.OnnxModel` running in onnxruntime.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SizeupError(f"model folder {str(folder)!r} not found; give the folder holding {WEIGHTS} and {CONFIG}")
    meta = read_json(folder / CONFIG)
    comp = meta.get("compression") or {}
    if meta.get("format") == "onnx" or comp.get("format") == "onnx":
        model = _onnx_model(folder, meta)
    else:
        model, info = rebuild(meta, origin=str(folder / CONFIG))
        if not (folder / WEIGHTS).is_file():
            raise SizeupError(f"{folder / WEIGHTS} not found; the model folder is incomplete")
        try:
            if "layer_sizes" in comp:
                _restore_layer_sizes(model, comp["layer_sizes"], load_file(str(folder / WEIGHTS)))
            else:
                _load_weights(model, str(folder / WEIGHTS))
        except (SafetensorError, RuntimeError) as exc:  # not safetensors, truncated, or weights of another shape
            raise SizeupError(f"{folder / WEIGHTS}: cannot load the weights ({' '.join(str(exc).split())[:200]}); "
                              f"the file is damaged or does not belong to this {CONFIG}") from None
        model.info = info
        if comp.get("format") == "cast":  # fp16/bf16: the 16-bit weights load into the float model, cast again
            from sizeup._cast import cast_model

            model = cast_model(model, comp["dtype"])
    return model.eval()


def _onnx_model(folder: Path, meta: dict[str, Any]) -> nn.Module:
    from sizeup.export import OnnxModel
    from sizeup.zoo import ModelSpec, get_family

    if not (folder / ONNX_FILE).is_file():
        raise SizeupError(f"{folder / ONNX_FILE} not found; the model folder is incomplete")
    model = OnnxModel(folder / ONNX_FILE)
    model.info = DataInfo.from_dict(meta["data"])
    model.spec = ModelSpec(meta["family"], get_family(meta["family"]).config_cls(**meta["config"]))
    return model


def copy_model(source: Path, dest: Path) -> Path:
    """Copy a saved model folder's model files into ``dest`` (each replaced atomically; stale ones removed)."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (source / name).is_file():
            with atomic_path(dest / name) as tmp:
                shutil.copyfile(source / name, tmp)
        elif (dest / name).exists():
            (dest / name).unlink()
    return dest
