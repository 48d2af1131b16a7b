"""Training-loop speed: sizeup's ``fit`` vs a plain PyTorch loop vs Keras 3 (torch backend), side by side.

Two models, each built the same way in PyTorch and in Keras (the script asserts equal parameter counts),
trained on the same MNIST-1D training split with the same optimiser, batch and number of steps:

* ``cnn``: the MNIST-1D reference CNN (Greydanus 2020, ``mnist1d`` ConvBase: Conv1d 1→25 k5 s2, 25→25 k3
  s2 twice, ReLU, Linear 125→10; 5,210 params), Adam 1e-2, batch 100 (the published settings);
* ``transformer``: a pre-norm Transformer encoder over the 40 time steps (Linear 1→32 embedding plus a
  learned position embedding, 2 layers of 4-head self-attention and a 64-wide ReLU feed-forward, no
  dropout, a final LayerNorm, mean pooling, Linear 32→10; 18,826 params), Adam 1e-3, batch 100.

The three contenders are interleaved (sizeup, plain, keras, sizeup, ...) so drift on a busy machine hits each
equally.

    python benchmarks/train_loop.py            # 5 repeats: cnn ~2,000 steps, transformer ~500 steps each
    python benchmarks/train_loop.py --quick    # smoke run: 2 repeats of ~300 (cnn) / 36 (transformer) steps
    python benchmarks/train_loop.py --profile  # also: cProfile of one sizeup run and one plain run (cnn)

Bars (issue #2, on the cnn): sizeup ≥ 1.0× the plain loop's steps/s and ≥ 1.8× Keras's. sizeup's time
includes its per-epoch validation and best-weights bookkeeping (what a user waits for); the steps-only
figure is shown beside it. The transformer's ratios are reported against the same bars, as information.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

os.environ["KERAS_BACKEND"] = "torch"  # before anything imports keras

import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (describe_machine, fmt, fmt_spread, machine, parse_args, row, spread, timed,  # noqa: E402
                     verdict, write_results)

import sizeup  # noqa: E402
from sizeup.data.bundle import DataBundle  # noqa: E402
from sizeup.training.callbacks import Callback  # noqa: E402
from sizeup.training.config import TrainConfig  # noqa: E402
from sizeup.training.loop import fit  # noqa: E402

BATCH, LR = 100, 1e-2
STEPS, QUICK_STEPS = 2_000, 300
BARS = {"plain": 1.0, "keras": 1.8}
D_MODEL, HEADS, FFN, LAYERS, LENGTH = 32, 4, 64, 2, 40


def load_mnist1d() -> DataBundle:
    return sizeup.load_data(sizeup.Task.from_dict({"name": "mnist1d", "data": {"source": "mnist1d"}}))


# ----------------------------------------------------------------------------- the models, twice

def reference_cnn() -> nn.Module:
    """Greydanus's ConvBase: padding 1 takes the length 40 → 19 → 10 → 5, so the head sees 25 × 5 = 125."""
    model = nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(125, 10),
    )
    assert sum(p.numel() for p in model.parameters()) == 5_210
    return model


class EncoderClassifier(nn.Module):
    """(N, 1, 40) → 40 tokens of width 32 → 2 pre-norm encoder layers, LayerNorm → mean over time → 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(1, D_MODEL)
        self.pos = nn.Parameter(torch.zeros(1, LENGTH, D_MODEL))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, FFN, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, LAYERS, norm=nn.LayerNorm(D_MODEL), enable_nested_tensor=False)
        self.head = nn.Linear(D_MODEL, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x.transpose(1, 2)) + self.pos
        return self.head(self.encoder(h).mean(dim=1))


def keras_cnn():
    import keras

    conv = lambda c, k: keras.layers.Conv1D(c, k, strides=2, activation="relu", data_format="channels_first")  # noqa: E731
    pad = lambda: keras.layers.ZeroPadding1D(1, data_format="channels_first")  # noqa: E731
    return keras.Sequential([
        keras.Input((1, 40)), pad(), conv(25, 5), pad(), conv(25, 3), pad(), conv(25, 3),
        keras.layers.Flatten(), keras.layers.Dense(10),
    ])


def keras_transformer():
    """The same encoder in Keras layers: MultiHeadAttention's q/k/v/output kernels and biases have exactly
    the shapes of PyTorch's in_proj/out_proj, and LayerNorm uses PyTorch's epsilon."""
    import keras

    class AddPosition(keras.layers.Layer):
        def build(self, input_shape):
            self.pos = self.add_weight(shape=(1, LENGTH, D_MODEL), initializer=keras.initializers.RandomNormal(stddev=0.02))

        def call(self, x):
            return x + self.pos

    norm = lambda: keras.layers.LayerNormalization(epsilon=1e-5)  # noqa: E731
    inputs = keras.Input((1, LENGTH))
    h = AddPosition()(keras.layers.Dense(D_MODEL)(keras.layers.Permute((2, 1))(inputs)))
    for _ in range(LAYERS):
        a = norm()(h)
        h = h + keras.layers.MultiHeadAttention(HEADS, D_MODEL // HEADS)(a, a)
        f = keras.layers.Dense(D_MODEL)(keras.layers.Dense(FFN, activation="relu")(norm()(h)))
        h = h + f
    h = norm()(h)
    out = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling1D()(h))
    return keras.Model(inputs, out)


@dataclass(frozen=True)
class Model:
    name: str
    torch_model: Callable[[], nn.Module]
    keras_model: Callable[[], Any]
    lr: float
    steps: int
    quick_steps: int
    params: int


MODELS = {
    "cnn": Model("cnn", reference_cnn, keras_cnn, LR, STEPS, QUICK_STEPS, 5_210),
    "transformer": Model("transformer", EncoderClassifier, keras_transformer, 1e-3, 500, 36,
                         18_826),
}


# ----------------------------------------------------------------------------- the three loops

def plain_train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, seed: int = 0,
                lr: float = LR) -> list[float]:
    """The loop a user writes by hand: reshuffle each epoch, slice batches, one ``loss.item()`` per step."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    model.train()
    while len(losses) < steps:
        perm = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
    return losses


class EvalClock(Callback):
    """Seconds ``fit`` spends after each epoch's steps (validation, best-weights copy) before this hook runs."""

    def on_train_begin(self, logs):
        self.seconds, self.t0 = 0.0, time.perf_counter()

    def on_epoch_end(self, logs):
        # logs["elapsed"] is read right after the epoch's last step; everything since is this epoch's overhead.
        self.seconds += (time.perf_counter() - self.t0) - logs["elapsed"]


def sizeup_config(epochs: int, lr: float = LR) -> TrainConfig:
    return TrainConfig(optimizer="adam", lr=lr, batch_size=BATCH, schedule="constant", clip_grad=None,
                       augment=False, weight_decay=0.0, patience=None, epochs=epochs)


def run_sizeup(spec: Model, data: DataBundle, epochs: int) -> dict[str, float]:
    torch.manual_seed(0)
    model, clock = spec.torch_model(), EvalClock()
    seconds, result = timed(lambda: fit(model, data, sizeup_config(epochs, spec.lr), callbacks=[clock]))
    return {"steps": result.steps, "seconds": seconds, "steps_only_seconds": seconds - clock.seconds,
            "eval_seconds": clock.seconds, "val_accuracy": result.best_val}


def run_plain(spec: Model, data: DataBundle, epochs: int) -> dict[str, float]:
    torch.manual_seed(0)
    model = spec.torch_model()
    steps = epochs * math.ceil(len(data.train) / BATCH)
    seconds, losses = timed(lambda: plain_train(model, data.train.x, data.train.y, steps, lr=spec.lr))
    return {"steps": len(losses), "seconds": seconds}


def compiled_keras(spec: Model):
    import keras

    keras.utils.set_random_seed(0)
    model = spec.keras_model()
    assert model.count_params() == spec.params, (spec.name, model.count_params())
    model.compile(optimizer=keras.optimizers.Adam(spec.lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def run_keras(spec: Model, data: DataBundle, epochs: int) -> dict[str, float]:
    x, y = data.train.x.numpy(), data.train.y.numpy()
    model = compiled_keras(spec)
    seconds, hist = timed(lambda: model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True))
    return {"steps": epochs * math.ceil(len(x) / BATCH), "seconds": seconds,
            "final_loss": float(hist.history["loss"][-1])}


RUNNERS = {"sizeup": run_sizeup, "plain": run_plain, "keras": run_keras}


def profile(data: DataBundle, epochs: int) -> None:
    import cProfile
    import pstats

    for name in ("sizeup", "plain"):
        prof = cProfile.Profile()
        prof.enable()
        RUNNERS[name](MODELS["cnn"], data, epochs)
        prof.disable()
        print(f"\n--- cProfile: {name}, {epochs} epochs, top 15 by own time ---")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)


# ----------------------------------------------------------------------------- one model, all contenders

def bench_model(spec: Model, data: DataBundle, repeats: int, quick: bool) -> dict[str, Any]:
    per_epoch = math.ceil(len(data.train) / BATCH)
    epochs = math.ceil((spec.quick_steps if quick else spec.steps) / per_epoch)
    steps = epochs * per_epoch
    assert sum(p.numel() for p in spec.torch_model().parameters()) == spec.params, spec.name
    print(f"\n{spec.name}: {spec.params:,} params, lr {spec.lr:g}, batch {BATCH}, {epochs} epochs = {steps} steps, "
          f"{repeats} interleaved repeats", flush=True)
    for runner in RUNNERS.values():  # warm-up: first-call costs (allocator, kernels, Keras tracing)
        runner(spec, data, 1 if quick else 2)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in RUNNERS}
    for r in range(repeats):
        for name, runner in RUNNERS.items():
            gc.collect()
            res = runner(spec, data, epochs)
            assert res["steps"] == steps, (name, res["steps"], steps)
            runs[name].append(res)
        print(f"  round {r + 1}/{repeats}: " + ", ".join(
            f"{n} {steps / runs[n][-1]['seconds']:.0f} steps/s" for n in RUNNERS), flush=True)

    rate = {n: [steps / x["seconds"] for x in runs[n]] for n in RUNNERS}
    steps_only = [steps / x["steps_only_seconds"] for x in runs["sizeup"]]
    print(f"{'contender':<28} {'steps/s median (min–max)':>28}")
    for label, values in (("sizeup fit (with validation)", rate["sizeup"]), ("sizeup fit (steps only)", steps_only),
                          ("plain PyTorch loop", rate["plain"]), ("Keras 3 fit (torch backend)", rate["keras"])):
        print(f"{label:<28} {fmt(values):>28}")
    ratios = {}
    for other, bar in BARS.items():
        of_medians = spread(rate["sizeup"])["median"] / spread(rate[other])["median"]
        paired = [a / b for a, b in zip(rate["sizeup"], rate[other])]
        ratios[other] = {"of_medians": of_medians, "paired": paired, "bar": bar, "pass": of_medians >= bar,
                         "steps_only_of_medians": spread(steps_only)["median"] / spread(rate[other])["median"]}
        print(f"sizeup / {other:<8} {of_medians:.2f}× of medians, per round {fmt(paired, 2)}, bar {bar:.1f}×: "
              f"{verdict(of_medians >= bar)}")
    return {"settings": {"batch": BATCH, "lr": spec.lr, "epochs": epochs, "steps": steps, "repeats": repeats,
                         "params": spec.params, "train_samples": len(data.train), "quick": quick},
            "steps_per_s": rate, "sizeup_steps_only_per_s": steps_only, "runs": runs, "ratios": ratios}


def models_of(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-model results; a result file from before the transformer holds the cnn's at the top level."""
    return payload.get("models") or {"cnn": payload}


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, res in models_of(payload).items():
        for other, label in (("plain", "a plain PyTorch loop"), ("keras", "Keras 3 `model.fit`")):
            r = res["ratios"][other]
            out.append(row(f"{name}: sizeup's loop / {label}, steps/s (ratio of medians)",
                           f"{r['of_medians']:.2f}× (per round {fmt(r['paired'], 2)})",
                           bar=f"≥ {r['bar']:.1f}×" + ("" if name == "cnn" else " (information)"),
                           met=r["pass"] if name == "cnn" else None, issue="#2" if name == "cnn" else None,
                           ratio=r["of_medians"]))
    return out


def run(quick: bool = False, *, repeats: int | None = None, models: tuple[str, ...] = tuple(MODELS)) -> dict[str, Any]:
    repeats = repeats or (2 if quick else 5)
    data = load_mnist1d()
    print(f"machine: {describe_machine(machine())}")
    print(f"MNIST-1D train split {len(data.train)} samples{' (QUICK smoke run, not a recorded result)' if quick else ''}")
    payload = {"models": {name: bench_model(MODELS[name], data, repeats, quick) for name in models}}
    payload["summary"] = summary_rows(payload)
    return payload


def render(payload: dict[str, Any]) -> str:
    lines = []
    for name, res in models_of(payload).items():
        s = res["settings"]
        rate, steps_only = res["steps_per_s"], res["sizeup_steps_only_per_s"]
        lines += [f"**{name}** ({s.get('params', 5_210):,} parameters, lr {s['lr']:g}, batch {s['batch']}, "
                  f"{s['epochs']} epochs = {s['steps']:,} steps per run, {s['repeats']} interleaved repeats):", "",
                  f"| contender | steps/s, median (min–max) of {s['repeats']} |", "|---|---|",
                  f"| sizeup `fit` (with per-epoch validation) | {fmt(rate['sizeup'], 0)} |",
                  f"| sizeup `fit` (steps only; information) | {fmt(steps_only, 0)} |",
                  f"| plain PyTorch loop | {fmt(rate['plain'], 0)} |",
                  f"| Keras 3 `model.fit` (torch backend) | {fmt(rate['keras'], 0)} |", "",
                  "| ratio | of medians | per round, median (min–max) | bar | verdict |", "|---|---|---|---|---|"]
        for other, label in (("plain", "sizeup / plain loop"), ("keras", "sizeup / Keras 3")):
            r = res["ratios"][other]
            word = ("**met**" if r["pass"] else "**not met**") if name == "cnn" else "information"
            lines.append(f"| {label} | {r['of_medians']:.2f}× | {fmt(r['paired'], 2)}× | ≥ {r['bar']:.1f}× | {word} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=5, quick_repeats=2,
                      flags={"--profile": "afterwards, cProfile one sizeup run and one plain run (cnn)"})
    started = machine()
    payload = run(args.quick, repeats=args.repeats)
    path = write_results("train_loop-quick" if args.quick else "train_loop", payload, started=started)
    print(f"raw figures: {path}")
    if args.profile:
        profile(load_mnist1d(), payload["models"]["cnn"]["settings"]["epochs"])


if __name__ == "__main__":
    main()
