"""What the search may try: each family's size knobs (declared by the family itself, ``zoo.register(space=...)``)
and the training settings, as Optuna suggestions.

Parameter names carry the family (``cnn.width``) so each family's knobs form their own group and
TPE's grouped multivariate model handles the conditional space (Optuna ``TPESampler(group=True)``).
"""

from __future__ import annotations

from typing import Any

import optuna

from sizeup.zoo import get_family
from sizeup.zoo._registry import Space, split_name

__all__ = ["space_of", "suggest", "default_params", "searchable_families", "lr_param", "AUGMENT_STRENGTH"]


def space_of(family: str) -> Space:
    """The knobs the search samples for ``family`` (``pretrained:minilm`` -> the ``pretrained`` family's)."""
    return get_family(family).space or {}


def lr_param(family: str, knobs: dict[str, Any]) -> tuple[str, tuple[float, float]]:
    """The learning rate's parameter name and range for a candidate: per mode where the family has one,
    under its own name (``pretrained:minilm.frozen.lr``), since Optuna keeps one range per name."""
    fam, mode = get_family(family), knobs.get("mode")
    if mode is not None and mode in fam.lr_by_mode:
        return f"{family}.{mode}.lr", fam.lr_by_mode[mode]
    return f"{family}.lr", fam.lr_range


def searchable_families(input_kind: str, requested: list[str] | None) -> list[str]:
    """The families to search: those requested (each checked to fit), or every registered one that fits."""
    from sizeup.errors import SizeupError
    from sizeup.zoo import list_families

    fits = list_families(input_kind)
    if requested is None:
        return [f for f in fits if get_family(f).space is not None and get_family(f).searched_by_default]
    for name in requested:
        family = get_family(name)  # unknown names fail with the list of families
        if split_name(name)[0] not in fits:
            raise SizeupError(
                f"[search] families: {name!r} does not fit {input_kind} input; families that fit: {', '.join(fits)}"
            )
        if family.space is None:
            raise SizeupError(f"[search] families: {name!r} has no search space, so it cannot be searched; "
                              f"train it with `sizeup train --family {name}` instead")
    return list(dict.fromkeys(requested))


def _suggest_one(trial: optuna.Trial, name: str, kind: str, spec: Any) -> Any:
    if kind == "cat":
        return trial.suggest_categorical(name, spec)
    if kind == "int":
        return trial.suggest_int(name, *spec)
    return trial.suggest_float(name, *spec, log=kind == "log")


AUGMENT_STRENGTH = (0.5, 2.0)


def suggest(trial: optuna.Trial, families: list[str], *, augment: bool = False) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Sample ``(family, knobs, training settings)`` for one trial.

    With ``augment``, whether to augment and how strongly are sampled too: augmentation assumes that neighbouring
    positions are related, and the search tests that assumption instead of making it.
    """
    family = trial.suggest_categorical("family", families)
    named = split_name(family)[1]  # "pretrained:minilm" -> model="minilm"
    knobs = {**named, **{k: _suggest_one(trial, f"{family}.{k}", kind, spec) for k, (kind, spec) in space_of(family).items()}}
    settings: dict[str, Any] = {}
    if get_family(family).lr_range is not None:  # trained by gradient steps
        name, (low, high) = lr_param(family, knobs)
        settings["lr"] = trial.suggest_float(name, low, high, log=True)
        settings["weight_decay"] = trial.suggest_float(f"{family}.weight_decay", 1e-5, 1e-1, log=True)
        if augment:
            settings["augment"] = trial.suggest_categorical(f"{family}.augment", [True, False])
            if settings["augment"]:
                settings["augment_strength"] = trial.suggest_float(f"{family}.augment_strength", *AUGMENT_STRENGTH, log=True)
    return family, knobs, settings


def default_params(family: str, defaults: dict[str, Any], lr: float, *, augment: bool | None = None) -> dict[str, Any]:
    """Optuna params that reproduce a family's default config (enqueued first, one per family); ``augment`` fixes
    the searched augmentation setting (strength 1, sizeup's standard one, when on)."""
    params: dict[str, Any] = {"family": family}
    space = space_of(family)
    for k, (kind, spec) in space.items():
        value = defaults[k]
        if kind == "cat" and value not in spec:
            value = min(spec, key=lambda c: abs(c - value) if isinstance(c, (int, float)) else c != value)
        if kind in ("int", "float", "log"):
            value = min(max(value, spec[0]), spec[1])
        params[f"{family}.{k}"] = value
    if get_family(family).lr_range is None:
        return params
    name, (low, high) = lr_param(family, {k: params[f"{family}.{k}"] for k in space})
    params[name] = min(max(lr, low), high)
    params[f"{family}.weight_decay"] = 0.01
    if augment is not None:
        params[f"{family}.augment"] = augment
        if augment:
            params[f"{family}.augment_strength"] = 1.0
    return params
