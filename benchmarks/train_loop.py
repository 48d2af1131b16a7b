"""Training-loop speed: sizeup's ``fit`` vs a plain PyTorch loop vs Keras 3 (torch backend), side by side.

The MNIST-1D reference CNN (Greydanus 2020, ``mnist1d`` ConvBase: Conv1d 1→25 k5 s2, 25→25 k3 s2 twice,
ReLU, Linear 125→10; 5,210 params) with the published settings (Adam 1e-2, batch 100) on the same
training split. All three run the same number of epochs, hence the same number of steps, and are
interleaved (sizeup, plain, keras, sizeup, ...) so drift on a busy machine hits each equally.

    python benchmarks/train_loop.py            # 5 repeats of ~2,000 steps each
    python benchmarks/train_loop.py --quick    # smoke run: 2 repeats of ~300 steps
    python benchmarks/train_loop.py --profile  # also: cProfile of one sizeup run and one plain run

Bars: sizeup ≥ 1.0× the plain loop's steps/s and ≥ 1.8× Keras's. sizeup's time includes its per-epoch
validation and best-weights bookkeeping (what a user waits for); the steps-only figure is shown beside it.
"""

from __future__ import annotations

import gc
import math
import os
import sys
import time

os.environ["KERAS_BACKEND"] = "torch"  # before anything imports keras

import torch  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, fmt, machine, parse_args, spread, timed, verdict, write_results  # noqa: E402

import sizeup  # noqa: E402
from sizeup.data.bundle import DataBundle  # noqa: E402
from sizeup.training.callbacks import Callback  # noqa: E402
from sizeup.training.config import TrainConfig  # noqa: E402
from sizeup.training.loop import fit  # noqa: E402

BATCH, LR = 100, 1e-2
STEPS, QUICK_STEPS = 2_000, 300
BARS = {"plain": 1.0, "keras": 1.8}


def load_mnist1d() -> DataBundle:
    return sizeup.load_data(sizeup.Task.from_dict({"name": "mnist1d", "data": {"source": "mnist1d"}}))


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


def plain_train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, seed: int = 0) -> list[float]:
    """The loop a user writes by hand: reshuffle each epoch, slice batches, one ``loss.item()`` per step."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
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


def sizeup_config(epochs: int) -> TrainConfig:
    return TrainConfig(optimizer="adam", lr=LR, batch_size=BATCH, schedule="constant", clip_grad=None,
                       augment=False, weight_decay=0.0, patience=None, epochs=epochs)


def run_sizeup(data: DataBundle, epochs: int) -> dict[str, float]:
    torch.manual_seed(0)
    model, clock = reference_cnn(), EvalClock()
    seconds, result = timed(lambda: fit(model, data, sizeup_config(epochs), callbacks=[clock]))
    return {"steps": result.steps, "seconds": seconds, "steps_only_seconds": seconds - clock.seconds,
            "eval_seconds": clock.seconds, "val_accuracy": result.best_val}


def run_plain(data: DataBundle, epochs: int) -> dict[str, float]:
    torch.manual_seed(0)
    model = reference_cnn()
    steps = epochs * math.ceil(len(data.train) / BATCH)
    seconds, losses = timed(lambda: plain_train(model, data.train.x, data.train.y, steps))
    return {"steps": len(losses), "seconds": seconds}


def keras_model():
    import keras

    keras.utils.set_random_seed(0)
    conv = lambda c, k: keras.layers.Conv1D(c, k, strides=2, activation="relu", data_format="channels_first")  # noqa: E731
    pad = lambda: keras.layers.ZeroPadding1D(1, data_format="channels_first")  # noqa: E731
    model = keras.Sequential([
        keras.Input((1, 40)), pad(), conv(25, 5), pad(), conv(25, 3), pad(), conv(25, 3),
        keras.layers.Flatten(), keras.layers.Dense(10),
    ])
    assert model.count_params() == 5_210, model.count_params()
    model.compile(optimizer=keras.optimizers.Adam(LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def run_keras(data: DataBundle, epochs: int) -> dict[str, float]:
    x, y = data.train.x.numpy(), data.train.y.numpy()
    model = keras_model()
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
        RUNNERS[name](data, epochs)
        prof.disable()
        print(f"\n--- cProfile: {name}, {epochs} epochs, top 15 by own time ---")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=5, quick_repeats=2,
                      flags={"--profile": "afterwards, cProfile one sizeup run and one plain run"})
    data = load_mnist1d()
    per_epoch = math.ceil(len(data.train) / BATCH)
    epochs = math.ceil((QUICK_STEPS if args.quick else STEPS) / per_epoch)
    steps = epochs * per_epoch
    print(f"machine: {describe_machine(machine())}")
    print(f"MNIST-1D train split {len(data.train)} samples, batch {BATCH}, {epochs} epochs = {steps} steps, "
          f"{args.repeats} interleaved repeats{' (QUICK smoke run, not a recorded result)' if args.quick else ''}")

    for name, runner in RUNNERS.items():  # warm-up: first-call costs (allocator, kernels, Keras tracing)
        runner(data, 2)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in RUNNERS}
    for r in range(args.repeats):
        for name, runner in RUNNERS.items():
            gc.collect()
            res = runner(data, epochs)
            assert res["steps"] == steps, (name, res["steps"], steps)
            runs[name].append(res)
        print(f"  round {r + 1}/{args.repeats}: " + ", ".join(
            f"{n} {steps / runs[n][-1]['seconds']:.0f} steps/s" for n in RUNNERS), flush=True)

    rate = {n: [steps / x["seconds"] for x in runs[n]] for n in RUNNERS}
    steps_only = [steps / x["steps_only_seconds"] for x in runs["sizeup"]]
    print(f"\n{'contender':<28} {'steps/s median (min–max)':>28}")
    print(f"{'sizeup fit (with validation)':<28} {fmt(rate['sizeup']):>28}")
    print(f"{'sizeup fit (steps only)':<28} {fmt(steps_only):>28}")
    print(f"{'plain PyTorch loop':<28} {fmt(rate['plain']):>28}")
    print(f"{'Keras 3 fit (torch backend)':<28} {fmt(rate['keras']):>28}")
    print(f"sizeup validation + bookkeeping: {fmt([x['eval_seconds'] for x in runs['sizeup']], 3)} s per run")

    ratios, summary = {}, {}
    print(f"\n{'ratio (with validation)':<24} {'of medians':>10} {'paired per round':>22} {'bar':>6}  verdict")
    for other, bar in BARS.items():
        of_medians = spread(rate["sizeup"])["median"] / spread(rate[other])["median"]
        paired = [a / b for a, b in zip(rate["sizeup"], rate[other])]
        ratios[other] = {"of_medians": of_medians, "paired": paired, "bar": bar, "pass": of_medians >= bar,
                         "steps_only_of_medians": spread(steps_only)["median"] / spread(rate[other])["median"]}
        print(f"{'sizeup / ' + other:<24} {of_medians:>9.2f}× {fmt(paired, 2):>22} {bar:>5.1f}×  {verdict(of_medians >= bar)}")
        summary[other] = ratios[other]["steps_only_of_medians"]
    print("steps-only ratios (not used for the verdict): "
          + ", ".join(f"sizeup / {k} {v:.2f}×" for k, v in summary.items()))

    path = write_results("train_loop-quick" if args.quick else "train_loop", {
        "settings": {"batch": BATCH, "lr": LR, "epochs": epochs, "steps": steps, "repeats": args.repeats,
                     "train_samples": len(data.train), "quick": args.quick},
        "steps_per_s": rate, "sizeup_steps_only_per_s": steps_only, "runs": runs, "ratios": ratios,
    })
    print(f"raw figures: {path}")
    if args.profile:
        profile(data, epochs)


if __name__ == "__main__":
    main()
