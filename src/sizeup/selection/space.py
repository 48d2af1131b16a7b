"""What the search may try: per family, the size knobs and training settings, as Optuna suggestions.

Parameter names carry the family (``cnn.width``) so each family's knobs form their own group and
TPE's grouped multivariate model handles the conditional space (Optuna ``TPESampler(group=True)``).
"""

from __future__ import annotations

from typing import Any

import optuna

from sizeup.zoo import get_family
from sizeup.zoo._registry import split_name

__all__ = ["SPACES", "OPT_IN", "suggest", "default_params", "searchable_families", "lr_param"]

# knob -> ("int"|"cat"|"float"|"log", choices or (low, high))
SPACES: dict[str, dict[str, tuple[str, Any]]] = {
    "linear": {},
    "mlp": {"width": ("cat", [32, 64, 128, 256, 512]), "depth": ("int", (1, 4)), "dropout": ("float", (0.0, 0.4))},
    "cnn": {"width": ("cat", [8, 16, 32, 64, 96]), "depth": ("int", (2, 5)), "kernel": ("cat", [3, 5, 7]),
            "residual": ("cat", [True, False]), "dilation": ("cat", [False, True]), "dropout": ("float", (0.0, 0.3))},
    "rnn": {"width": ("cat", [16, 32, 64, 128]), "depth": ("int", (1, 2)), "cell": ("cat", ["gru", "lstm", "rnn"]),
            "bidirectional": ("cat", [True, False]), "dropout": ("float", (0.0, 0.3))},
    "transformer": {"width": ("cat", [32, 64, 128]), "depth": ("int", (1, 4)), "heads": ("cat", [2, 4]),
                    "dropout": ("float", (0.0, 0.3))},
    "gpt": {"width": ("cat", [32, 64, 128]), "depth": ("int", (1, 4)), "heads": ("cat", [2, 4]),
            "dropout": ("float", (0.0, 0.3)), "positions": ("cat", ["learned", "rotary"])},
    "seq2seq": {"width": ("cat", [32, 64, 128]), "depth": ("int", (1, 3)), "heads": ("cat", [2, 4]),
                "dropout": ("float", (0.0, 0.3))},
    "bow": {"width": ("cat", [32, 64, 128, 256]), "depth": ("int", (1, 2)), "dropout": ("float", (0.0, 0.5))},
    "textcnn": {"width": ("cat", [32, 64, 128, 256]), "dropout": ("float", (0.1, 0.5))},
    "tfidf": {"ngram": ("int", (1, 3)), "buckets": ("cat", [2**16, 2**18, 2**20])},
    "pretrained": {"mode": ("cat", ["frozen", "finetune"])},
}
# Searched only when named in ``[search] families`` (e.g. "pretrained:minilm"): they need an optional
# extra, and fine-tuning a pretrained encoder on CPU takes far longer than a default budget.
OPT_IN = frozenset({"pretrained"})

# Peak learning-rate ranges: attention and recurrent models want smaller steps than convolutions.
# "family.mode" keys apply to one mode: a frozen encoder trains only its linear head (a probe), which
# wants steps a hundred times those of fine-tuning the whole encoder.
LR_RANGES: dict[str, tuple[float, float]] = {
    "transformer": (3e-4, 3e-3), "gpt": (3e-4, 3e-3), "seq2seq": (3e-4, 3e-3), "rnn": (1e-3, 1e-2),
    "tfidf": (3e-3, 1e-1), "pretrained": (2e-5, 2e-4), "pretrained.frozen": (1e-3, 3e-2),
}
DEFAULT_LR_RANGE = (1e-3, 3e-2)


def lr_param(family: str, knobs: dict[str, Any]) -> tuple[str, tuple[float, float]]:
    """The learning rate's parameter name and range for a candidate: per mode where the family has one,
    under its own name (``pretrained:minilm.frozen.lr``), since Optuna keeps one range per name."""
    base, mode = split_name(family)[0], knobs.get("mode")
    if mode is not None and f"{base}.{mode}" in LR_RANGES:
        return f"{family}.{mode}.lr", LR_RANGES[f"{base}.{mode}"]
    return f"{family}.lr", LR_RANGES.get(base, DEFAULT_LR_RANGE)


def searchable_families(input_kind: str, requested: list[str] | None) -> list[str]:
    """The families to search: those requested (each checked to fit), or every registered one that fits."""
    from sizeup.errors import SizeupError
    from sizeup.zoo import list_families

    fits = list_families(input_kind)
    if not requested:
        return [f for f in fits if f in SPACES and f not in OPT_IN]
    for name in requested:
        get_family(name)  # unknown names fail with the list of families
        if split_name(name)[0] not in fits:
            raise SizeupError(
                f"[search] families: {name!r} does not fit {input_kind} input; families that fit: {', '.join(fits)}"
            )
    return list(dict.fromkeys(requested))


def _suggest_one(trial: optuna.Trial, name: str, kind: str, spec: Any) -> Any:
    if kind == "cat":
        return trial.suggest_categorical(name, spec)
    if kind == "int":
        return trial.suggest_int(name, *spec)
    return trial.suggest_float(name, *spec, log=kind == "log")


def suggest(trial: optuna.Trial, families: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Sample ``(family, knobs, training settings)`` for one trial."""
    family = trial.suggest_categorical("family", families)
    base, named = split_name(family)  # "pretrained:minilm" -> "pretrained", model="minilm"
    knobs = {**named, **{k: _suggest_one(trial, f"{family}.{k}", kind, spec) for k, (kind, spec) in SPACES[base].items()}}
    name, (low, high) = lr_param(family, knobs)
    settings = {
        "lr": trial.suggest_float(name, low, high, log=True),
        "weight_decay": trial.suggest_float(f"{family}.weight_decay", 1e-5, 1e-1, log=True),
    }
    return family, knobs, settings


def default_params(family: str, defaults: dict[str, Any], lr: float) -> dict[str, Any]:
    """Optuna params that reproduce a family's default config (enqueued first, one per family)."""
    params: dict[str, Any] = {"family": family}
    base = split_name(family)[0]
    for k, (kind, spec) in SPACES[base].items():
        value = defaults[k]
        if kind == "cat" and value not in spec:
            value = min(spec, key=lambda c: abs(c - value) if isinstance(c, (int, float)) else c != value)
        if kind in ("int", "float", "log"):
            value = min(max(value, spec[0]), spec[1])
        params[f"{family}.{k}"] = value
    name, (low, high) = lr_param(family, {k: params[f"{family}.{k}"] for k in SPACES[base]})
    params[name] = min(max(lr, low), high)
    params[f"{family}.weight_decay"] = 0.01
    return params
