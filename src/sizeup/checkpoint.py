"""Save and load models: ``model.safetensors`` (no code runs on load) + ``config.json`` that rebuilds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_model as _load_weights
from safetensors.torch import save_model as _save_weights
from torch import nn

from sizeup import __version__
from sizeup._io import atomic_path, read_json, write_json
from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError

__all__ = ["save_model", "load_model", "model_folder", "WEIGHTS", "CONFIG"]

WEIGHTS, CONFIG = "model.safetensors", "config.json"


def save_model(model: nn.Module, info: DataInfo, folder: str | Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write weights and the config that rebuilds the model (family, size knobs, data info) into ``folder``."""
    spec = getattr(model, "spec", None)
    if spec is None:
        raise SizeupError("only models built by sizeup.zoo.build can be saved (they carry model.spec)")
    folder = Path(folder)
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


def load_model(folder: str | Path) -> nn.Module:
    """Rebuild a saved model exactly; it carries ``.spec`` and ``.info`` and is in eval mode."""
    from sizeup.zoo import build, make_config

    folder = Path(folder)
    if not folder.is_dir():
        raise SizeupError(f"model folder {str(folder)!r} not found; give the folder holding {WEIGHTS} and {CONFIG}")
    meta = read_json(folder / CONFIG)
    for key in ("family", "config", "data"):
        if key not in meta:
            raise SizeupError(f"{folder / CONFIG} has no {key!r} entry; it was not written by sizeup")
    try:  # make_config checks the knobs as `sizeup train` does, so a damaged config is one line, not a torch error
        info = DataInfo.from_dict(meta["data"])
        model = build(meta["family"], info, config=make_config(meta["family"], **meta["config"]))
    except (SizeupError, TypeError, KeyError) as exc:
        raise SizeupError(f"{folder / CONFIG}: cannot rebuild the model from it ({exc}); the file is damaged") from None
    if not (folder / WEIGHTS).is_file():
        raise SizeupError(f"{folder / WEIGHTS} not found; the model folder is incomplete")
    try:
        _load_weights(model, str(folder / WEIGHTS))
    except (SafetensorError, RuntimeError) as exc:  # not safetensors, truncated, or weights of another shape
        raise SizeupError(f"{folder / WEIGHTS}: cannot load the weights ({' '.join(str(exc).split())[:200]}); "
                          f"the file is damaged or does not belong to this {CONFIG}") from None
    model.info = info
    return model.eval()
