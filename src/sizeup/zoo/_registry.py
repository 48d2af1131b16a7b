"""The one door to models: families register here, and the rest of sizeup calls :func:`build`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Callable

from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError

ALWAYS_SHOWN = ("width", "depth", "heads", "model", "mode")  # what a leaderboard label never leaves out

__all__ = ["Family", "ModelSpec", "Space", "register", "build", "make_config", "get_family", "list_families", "split_name",
           "DEFAULT_LR_RANGE"]

Builder = Callable[[Any, DataInfo], nn.Module]
# knob -> ("int" | "cat" | "float" | "log", choices or (low, high)): what the search may try for the knob
Space = dict[str, tuple[str, Any]]
DEFAULT_LR_RANGE = (1e-3, 3e-2)  # peak learning rates for convolutions and MLPs; a family states its own otherwise


@dataclass(frozen=True)
class Family:
    """A registered architecture family: its typed size config, presets and the inputs it fits."""

    name: str
    config_cls: type
    builder: Builder
    input_kinds: frozenset[str]
    presets: dict[str, dict[str, Any]]
    description: str
    space: Space | None = None  # None: the search never samples this family
    lr_range: tuple[float, float] | None = DEFAULT_LR_RANGE  # None: not trained by gradient steps (a classic model)
    lr_by_mode: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)  # e.g. a frozen encoder's probe
    searched_by_default: bool = True  # False: searched only when named in [search] families

    @property
    def knobs(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.config_cls)]


@dataclass(frozen=True)
class ModelSpec:
    """What rebuilds a model exactly: family name plus its resolved config (saved in every checkpoint)."""

    family: str
    config: Any

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "config": dataclasses.asdict(self.config)}

    def describe(self) -> str:
        """Short form: sizes, the pretrained model and its mode always, other knobs only where they
        differ from the family's defaults. A model given as a folder shows the folder's name."""
        defaults = dataclasses.asdict(type(self.config)())
        shown = []
        for k, v in dataclasses.asdict(self.config).items():
            if k in ALWAYS_SHOWN or v != defaults.get(k):
                if k == "model" and isinstance(v, str):
                    v = PurePath(v).name or v
                shown.append(f"{k}={v:.2g}" if isinstance(v, float) else f"{k}={v}")
        return f"{self.family}({', '.join(shown)})"


_FAMILIES: dict[str, Family] = {}


def register(
    name: str, *, config: type, inputs: set[str], presets: dict[str, dict[str, Any]], description: str,
    space: Space | None = None, lr_range: tuple[float, float] | None = DEFAULT_LR_RANGE,
    lr_by_mode: dict[str, tuple[float, float]] | None = None, searched_by_default: bool = True,
) -> Callable[[Builder], Builder]:
    """Decorator: register ``builder(config, info) -> nn.Module`` as family ``name``.

    ``space`` is what the search may try for each knob, ``lr_range`` its peak learning rates (``lr_by_mode`` per value
    of a ``mode`` knob), so a family is added by one file.
    """

    def deco(builder: Builder) -> Builder:
        if name in _FAMILIES:
            raise RuntimeError(f"model family {name!r} is registered twice")
        unknown = sorted(set(space or {}) - {f.name for f in dataclasses.fields(config)})
        if unknown:
            raise RuntimeError(f"model family {name!r}: its search space names unknown knobs {unknown}")
        _FAMILIES[name] = Family(name, config, builder, frozenset(inputs), presets, description, space, lr_range,
                                 dict(lr_by_mode or {}), searched_by_default)
        return builder

    return deco


def list_families(input_kind: str | None = None) -> list[str]:
    """Names of registered families, optionally only those that fit ``input_kind``."""
    return sorted(n for n, f in _FAMILIES.items() if input_kind is None or input_kind in f.input_kinds)


def split_name(name: str) -> tuple[str, dict[str, Any]]:
    """``"pretrained:minilm"`` -> ``("pretrained", {"model": "minilm"})``; other names pass through."""
    family, sep, model = name.partition(":")
    return (family, {"model": model}) if sep and model else (name, {})


def get_family(name: str) -> Family:
    name = split_name(name)[0]
    if name not in _FAMILIES:
        raise SizeupError(f"unknown model family {name!r}; choose one of: {', '.join(list_families())}")
    return _FAMILIES[name]


def make_config(family: str, preset: str | None = None, **knobs: Any) -> Any:
    """Resolve a family's config from a named preset *or* explicit knobs (never both)."""
    family, named = split_name(family)
    fam = get_family(family)
    knobs = {**named, **{k: v for k, v in knobs.items() if v is not None}}
    unknown = sorted(set(knobs) - set(fam.knobs))
    if unknown:
        raise SizeupError(
            f"family {family!r} has no knob {unknown[0]!r}; its knobs are: {', '.join(fam.knobs)}"
        )
    if preset is not None:
        if preset not in fam.presets:
            raise SizeupError(
                f"family {family!r} has no preset {preset!r}; choose one of: {', '.join(fam.presets)}"
            )
        sizes = {"width", "depth", "heads"} & set(knobs)
        if sizes:
            raise SizeupError(
                f"give either preset={preset!r} or explicit sizes ({', '.join(sorted(sizes))}), not both"
            )
        knobs = {**fam.presets[preset], **knobs}
    try:
        cfg = fam.config_cls(**knobs)
    except (TypeError, ValueError) as exc:
        raise SizeupError(f"family {family!r}: {exc}") from None
    _check_config(family, cfg)
    return cfg


def _check_config(family: str, cfg: Any) -> None:
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if f.name in ("width", "depth", "heads") and value is not None and (not isinstance(value, int) or value < 1):
            raise SizeupError(f"family {family!r}: {f.name} must be a positive integer, got {value!r}")
        if f.name == "dropout" and not (0.0 <= float(value) < 1.0):
            raise SizeupError(f"family {family!r}: dropout must be in [0, 1), got {value!r}")
    width, heads = getattr(cfg, "width", None), getattr(cfg, "heads", None)
    if width and heads and width % heads:
        raise SizeupError(f"family {family!r}: width={width} must be divisible by heads={heads}")
    check = getattr(cfg, "validate", None)
    if check is not None:
        problem = check()
        if problem:
            raise SizeupError(f"family {family!r}: {problem}")


def build(family: str, info: DataInfo, *, preset: str | None = None, config: Any = None, **knobs: Any) -> nn.Module:
    """Build a model of ``family`` for data described by ``info``.

    Pass a ``preset`` name, explicit knobs (``width=32, depth=3``), or a ready ``config``. The
    returned module carries ``model.spec`` (a :class:`ModelSpec`) so it can be saved and rebuilt.
    """
    fam = get_family(family)
    if info.input_kind not in fam.input_kinds:
        fits = ", ".join(list_families(info.input_kind)) or "none"
        raise SizeupError(
            f"family {family!r} does not fit {info.input_kind} input (data {info.name!r}); "
            f"families that fit: {fits}"
        )
    if config is None:
        config = make_config(family, preset, **knobs)
    elif preset is not None or knobs:
        raise SizeupError("give either a ready config or a preset/knobs, not both")
    family = fam.name
    model = fam.builder(config, info)
    model.spec = ModelSpec(family, config)
    return model
